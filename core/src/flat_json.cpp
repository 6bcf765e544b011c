#include "sarang/flat_json.hpp"

#include <charconv>
#include <cmath>

namespace sarang::flat_json {
namespace {

class Scanner {
  public:
    explicit Scanner(std::string_view text) : text_(text) {}

    void skip_space() {
        while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\t' ||
                                      text_[at_] == '\n' || text_[at_] == '\r'))
            ++at_;
    }
    bool done() const { return at_ == text_.size(); }
    bool take(char c) {
        if (at_ < text_.size() && text_[at_] == c) {
            ++at_;
            return true;
        }
        return false;
    }
    bool take_word(std::string_view word) {
        if (text_.substr(at_, word.size()) != word)
            return false;
        at_ += word.size();
        return true;
    }

    // A string without escapes, control characters or bytes above 0x7F (whose UTF-8 jansson
    // would validate): those go to jansson.
    std::optional<std::string_view> string() {
        if (!take('"'))
            return std::nullopt;
        std::size_t start = at_;
        while (at_ < text_.size()) {
            auto c = static_cast<unsigned char>(text_[at_]);
            if (c == '"')
                return text_.substr(start, at_++ - start);
            if (c == '\\' || c < 0x20 || c > 0x7F)
                return std::nullopt;
            ++at_;
        }
        return std::nullopt;
    }

    // JSON's number grammar, strictly. An integer as jansson's strtoll reads it; one beyond
    // int64 goes to jansson, which refuses it. A real as its strtod does (from_chars rounds the
    // same, correctly); one beyond a double's range goes to jansson, which refuses an overflow
    // and keeps an underflow.
    std::optional<Value> number() {
        std::size_t start = at_;
        take('-');
        if (!take('0') && !digits())
            return std::nullopt;
        bool real = false;
        if (take('.')) {
            real = true;
            if (!digits())
                return std::nullopt;
        }
        if (take('e') || take('E')) {
            real = true;
            if (!take('+'))
                take('-');
            if (!digits())
                return std::nullopt;
        }
        const char* first = text_.data() + start;
        const char* last = text_.data() + at_;
        Value value;
        if (!real) {
            auto [end, error] = std::from_chars(first, last, value.integer);
            if (error != std::errc() || end != last)
                return std::nullopt;
            value.type = Value::Type::integer;
            value.number = static_cast<double>(value.integer);
            return value;
        }
        auto [end, error] = std::from_chars(first, last, value.number);
        if (error != std::errc() || end != last || !std::isfinite(value.number))
            return std::nullopt;
        value.type = Value::Type::real;
        return value;
    }

    std::optional<Value> value() {
        if (at_ >= text_.size())
            return std::nullopt;
        Value value;
        switch (text_[at_]) {
        case '"':
            if (std::optional<std::string_view> text = string()) {
                value.type = Value::Type::string;
                value.text = *text;
                return value;
            }
            return std::nullopt;
        case 't':
        case 'f':
            value.type = Value::Type::boolean;
            value.boolean = text_[at_] == 't';
            if (take_word(value.boolean ? "true" : "false"))
                return value;
            return std::nullopt;
        case 'n':
            if (take_word("null"))
                return value;
            return std::nullopt;
        default:
            return number();
        }
    }

  private:
    bool digits() {
        std::size_t start = at_;
        while (at_ < text_.size() && text_[at_] >= '0' && text_[at_] <= '9')
            ++at_;
        return at_ > start;
    }

    std::string_view text_;
    std::size_t at_ = 0;
};

} // namespace

const Value* Object::find(std::string_view key) const {
    for (std::size_t i = 0; i < size_; ++i)
        if (members_[i].key == key)
            return &members_[i].value;
    return nullptr;
}

std::optional<Object> scan_object(std::string_view text) {
    Scanner scanner(text);
    Object object;
    scanner.skip_space();
    if (!scanner.take('{'))
        return std::nullopt;
    scanner.skip_space();
    if (!scanner.take('}')) {
        do {
            scanner.skip_space();
            std::optional<std::string_view> key = scanner.string();
            if (!key || object.size_ == max_members || object.find(*key) != nullptr)
                return std::nullopt;
            scanner.skip_space();
            if (!scanner.take(':'))
                return std::nullopt;
            scanner.skip_space();
            std::optional<Value> value = scanner.value();
            if (!value)
                return std::nullopt;
            object.members_[object.size_++] = {*key, *value};
            scanner.skip_space();
        } while (scanner.take(','));
        if (!scanner.take('}'))
            return std::nullopt;
    }
    scanner.skip_space();
    if (!scanner.done())
        return std::nullopt;
    return object;
}

} // namespace sarang::flat_json
