#include "storage_sweeper.hpp"

#include "sarang/log.hpp"

namespace sarang::http {

StorageSweeper::StorageSweeper(DbPool& pool, const PhotoStore& store, std::chrono::seconds interval,
                               std::chrono::seconds grace)
    : worker_("httpd-sweep", [&pool, &store, interval, grace](std::stop_token stop) {
          do {
              try {
                  if (long long removed = store.sweep(pool, grace))
                      LOG_INFO("httpd", "storage sweep removed %lld orphaned files", removed);
              } catch (const std::exception& error) {
                  LOG_WARN("httpd", "storage sweep failed, will retry: %s", error.what());
              }
          } while (sleep_unless_stopped(
              stop, std::chrono::duration_cast<std::chrono::milliseconds>(interval)));
      }) {}

} // namespace sarang::http
