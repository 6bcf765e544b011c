#pragma once
// Commands come at least once (docs/commands.md: the backend sends a command again when the
// device reconnects before answering). The device remembers the last few command ids and what
// it answered, so a repeat is answered again without acting twice: a dispense never drops two
// items for one order.
#include <cstddef>
#include <deque>
#include <optional>
#include <string>

namespace sarang_fw {

struct RememberedAnswer {
    std::string topic;
    std::string payload;
};

class CommandMemory {
  public:
    explicit CommandMemory(std::size_t capacity = 16) : capacity_(capacity) {}

    // True (and remembers it) when key is new; false for a repeat.
    bool first_time(const std::string& key);
    // The answer given to key, once there is one (a repeat of a command still being carried
    // out has none yet).
    void answered(const std::string& key, RememberedAnswer answer);
    std::optional<RememberedAnswer> answer_for(const std::string& key) const;

  private:
    struct Entry {
        std::string key;
        std::optional<RememberedAnswer> answer;
    };
    std::size_t capacity_;
    std::deque<Entry> entries_; // oldest first
};

} // namespace sarang_fw
