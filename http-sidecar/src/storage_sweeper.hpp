#pragma once
// A background thread that removes package files no row references (a crash between writing
// the files and committing the row, or between deleting the row and the files) and spooled
// uploads a crash left behind. Runs at start, then every interval.
#include "db_pool.hpp"
#include "parcel/photo_store.hpp"
#include "sarang/worker.hpp"

#include <chrono>

namespace sarang::http {

class StorageSweeper {
  public:
    // Files younger than `grace` are left alone: they may belong to an upload in progress.
    StorageSweeper(DbPool& pool, const PhotoStore& store, std::chrono::seconds interval,
                   std::chrono::seconds grace);

  private:
    Worker worker_;
};

} // namespace sarang::http
