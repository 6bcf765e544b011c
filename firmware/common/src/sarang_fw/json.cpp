#include "sarang_fw/json.hpp"

#include <cJSON.h>
#include <cmath>
#include <cstdlib>

namespace sarang_fw {
namespace {

// The core runs without exceptions (-fno-exceptions on the ESP8266): out of memory while
// building a message is not something a device can recover from, so it restarts.
[[noreturn]] void out_of_memory() {
    std::abort();
}

std::string take_printed(char* text) {
    if (text == nullptr)
        out_of_memory();
    std::string out(text);
    cJSON_free(text);
    return out;
}

cJSON* checked(cJSON* item) {
    if (item == nullptr)
        out_of_memory();
    return item;
}

} // namespace

bool JsonView::is_object() const {
    return cJSON_IsObject(item_) != 0;
}

bool JsonView::is_null() const {
    return item_ == nullptr || cJSON_IsNull(item_) != 0;
}

JsonView JsonView::field(const char* key) const {
    if (!is_object())
        return JsonView();
    return JsonView(cJSON_GetObjectItemCaseSensitive(item_, key));
}

std::optional<std::string> JsonView::string(const char* key) const {
    const cJSON* value = field(key).item_;
    if (cJSON_IsString(value) == 0 || value->valuestring == nullptr)
        return std::nullopt;
    return std::string(value->valuestring);
}

std::optional<double> JsonView::number(const char* key) const {
    const cJSON* value = field(key).item_;
    if (cJSON_IsNumber(value) == 0 || !std::isfinite(value->valuedouble))
        return std::nullopt;
    return value->valuedouble;
}

std::optional<long long> JsonView::whole_number(const char* key) const {
    std::optional<double> value = number(key);
    if (!value || std::trunc(*value) != *value || std::fabs(*value) > 9.0e15)
        return std::nullopt;
    return static_cast<long long>(*value);
}

std::optional<bool> JsonView::boolean(const char* key) const {
    const cJSON* value = field(key).item_;
    if (cJSON_IsBool(value) == 0)
        return std::nullopt;
    return cJSON_IsTrue(value) != 0;
}

std::size_t JsonView::array_size() const {
    if (cJSON_IsArray(item_) == 0)
        return 0;
    return static_cast<std::size_t>(cJSON_GetArraySize(item_));
}

JsonView JsonView::at(std::size_t index) const {
    if (index >= array_size())
        return JsonView();
    return JsonView(cJSON_GetArrayItem(item_, static_cast<int>(index)));
}

std::string JsonView::print() const {
    if (item_ == nullptr)
        return "null";
    return take_printed(cJSON_PrintUnformatted(item_));
}

void Json::Deleter::operator()(cJSON* item) const {
    cJSON_Delete(item);
}

Json Json::object() {
    return Json(checked(cJSON_CreateObject()));
}

Json Json::array() {
    return Json(checked(cJSON_CreateArray()));
}

std::optional<Json> Json::parse(std::string_view text) {
    cJSON* root = cJSON_ParseWithLength(text.data(), text.size());
    if (root == nullptr)
        return std::nullopt;
    return Json(root);
}

Json& Json::set_string(const char* key, std::string_view value) {
    std::string copy(value); // cJSON wants a terminated string
    cJSON_DeleteItemFromObjectCaseSensitive(root_.get(), key);
    checked(cJSON_AddStringToObject(root_.get(), key, copy.c_str()));
    return *this;
}

Json& Json::set_number(const char* key, double value) {
    cJSON_DeleteItemFromObjectCaseSensitive(root_.get(), key);
    checked(cJSON_AddNumberToObject(root_.get(), key, value));
    return *this;
}

Json& Json::set_bool(const char* key, bool value) {
    cJSON_DeleteItemFromObjectCaseSensitive(root_.get(), key);
    checked(cJSON_AddBoolToObject(root_.get(), key, value ? 1 : 0));
    return *this;
}

Json& Json::set_null(const char* key) {
    cJSON_DeleteItemFromObjectCaseSensitive(root_.get(), key);
    checked(cJSON_AddNullToObject(root_.get(), key));
    return *this;
}

Json& Json::set_json(const char* key, Json&& value) {
    cJSON_DeleteItemFromObjectCaseSensitive(root_.get(), key);
    cJSON* child = value.release();
    if (cJSON_AddItemToObject(root_.get(), key, child) == 0) {
        cJSON_Delete(child);
        out_of_memory();
    }
    return *this;
}

Json& Json::append(Json&& value) {
    cJSON* child = value.release();
    if (cJSON_AddItemToArray(root_.get(), child) == 0) {
        cJSON_Delete(child);
        out_of_memory();
    }
    return *this;
}

std::string Json::print() const {
    return view().print();
}

} // namespace sarang_fw
