#pragma once
// vending.midtrans_server_key as sarang.conf says it now. `sarangctl payments set-key` rewrites
// the file (a rename); the next webhook sees the new key without a restart. The key is not
// stored hashed: verifying SHA512(order_id + status_code + gross_amount + key) needs the key.
#include <mutex>
#include <string>
#include <sys/types.h>

namespace sarang::http {

class ServerKey {
  public:
    // config_path empty: the key never changes (tests, --list-routes).
    ServerKey(std::string config_path, std::string initial);

    // The current key (empty: payments are not configured). One stat() per call; the file is
    // parsed again only when it changed. A file that no longer parses keeps the last good key.
    std::string current();

  private:
    std::string path_;
    std::mutex mutex_;
    std::string key_;
    dev_t device_ = 0;
    ino_t inode_ = 0;
    long long mtime_ns_ = 0;
    off_t size_ = 0;
};

} // namespace sarang::http
