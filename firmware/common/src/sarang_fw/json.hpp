#pragma once
// cJSON behind RAII. cJSON is in Debian (libcjson-dev) and in ESP-IDF (so in the ESP32 Arduino
// core), and it builds anywhere plain C does; the core never sees a raw handle.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct cJSON;

namespace sarang_fw {

// A borrowed, read-only look at a JSON value; valid while the Json that owns it lives.
class JsonView {
  public:
    JsonView() = default;
    explicit JsonView(const cJSON* item) : item_(item) {}

    bool exists() const { return item_ != nullptr; }
    bool is_object() const;
    bool is_null() const;
    JsonView field(const char* key) const;
    std::optional<std::string> string(const char* key) const;
    std::optional<double> number(const char* key) const;
    // A number with no fractional part.
    std::optional<long long> whole_number(const char* key) const;
    std::optional<bool> boolean(const char* key) const;
    std::size_t array_size() const;
    JsonView at(std::size_t index) const;
    std::string print() const;

  private:
    const cJSON* item_ = nullptr;
};

class Json {
  public:
    static Json object();
    static Json array();
    // nullopt when text is not JSON.
    static std::optional<Json> parse(std::string_view text);

    // Distinct names: set("k", "text") must never pick a bool overload.
    Json& set_string(const char* key, std::string_view value);
    Json& set_number(const char* key, double value);
    Json& set_bool(const char* key, bool value);
    Json& set_null(const char* key);
    Json& set_json(const char* key, Json&& value);
    Json& append(Json&& value);

    JsonView view() const { return JsonView(root_.get()); }
    std::string print() const;

  private:
    struct Deleter {
        void operator()(cJSON* item) const;
    };
    explicit Json(cJSON* root) : root_(root) {}
    cJSON* release() { return root_.release(); }

    std::unique_ptr<cJSON, Deleter> root_;
};

} // namespace sarang_fw
