#pragma once
// The common device payload, read without building a JSON tree: one object whose members are
// numbers, plain strings, true, false or null ({"ph":6.8,"tds":512,"ts":1764000000}). Anything
// else (nesting, escapes, non-ASCII text, duplicate keys, a number a double or int64 cannot hold
// exactly as jansson would, more than max_members members) is not read here: the caller gives
// it to jansson, which accepts or rejects it with its own error. So for every payload this reads,
// the values are the ones jansson (JSON_REJECT_DUPLICATES) would give; fuzz/data_message_fuzz.cpp
// checks that on every input it generates.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace sarang::flat_json {

struct Value {
    // array and object: never from scan_object; for callers that describe jansson's values in
    // the same terms (data_message.cpp).
    enum class Type { null, string, integer, real, boolean, array, object };
    Type type = Type::null;
    std::int64_t integer = 0; // Type::integer
    double number = 0;        // Type::integer (as a double, like json_number_value) and real
    std::string_view text;    // Type::string: the bytes between the quotes (no escapes in them)
    bool boolean = false;     // Type::boolean
};

struct Member {
    std::string_view key;
    Value value;
};

constexpr std::size_t max_members = 32;

class Object {
  public:
    // The member named `key`, or nullptr.
    const Value* find(std::string_view key) const;

  private:
    friend std::optional<Object> scan_object(std::string_view text);
    std::array<Member, max_members> members_{};
    std::size_t size_ = 0;
};

// The object `text` holds (whitespace around it allowed, nothing else), or nullopt when it is
// not one this reader takes; nullopt says nothing about whether the text is valid JSON.
std::optional<Object> scan_object(std::string_view text);

} // namespace sarang::flat_json
