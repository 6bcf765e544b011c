#include "curl_http.hpp"

#include <curl/curl.h>
#include <memory>

namespace sarang_fw::host {
namespace {

struct SlistDeleter {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Headers = std::unique_ptr<curl_slist, SlistDeleter>;

struct MimeDeleter {
    void operator()(curl_mime* mime) const { curl_mime_free(mime); }
};

Headers add_header(Headers headers, const std::string& line) {
    curl_slist* grown = curl_slist_append(headers.get(), line.c_str());
    if (grown == nullptr)
        return headers;
    (void)headers.release(); // now part of grown
    return Headers(grown);
}

size_t collect(char* data, size_t size, size_t count, void* into) {
    static_cast<std::string*>(into)->append(data, size * count);
    return size * count;
}

HttpReply perform(CURL* curl, std::string& body) {
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 15000L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    HttpReply reply;
    if (curl_easy_perform(curl) == CURLE_OK) {
        long status = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        reply.status = static_cast<int>(status);
    }
    reply.body = body;
    return reply;
}

} // namespace

CurlHttp::CurlHttp() : handle_(curl_easy_init()) {}

CurlHttp::~CurlHttp() {
    curl_easy_cleanup(static_cast<CURL*>(handle_));
}

HttpReply CurlHttp::post_photo(const std::string& url, const std::string& api_key,
                               const std::string& jpeg, const std::string& meta_json) {
    CURL* curl = static_cast<CURL*>(handle_);
    if (curl == nullptr)
        return {};
    curl_easy_reset(curl);
    std::unique_ptr<curl_mime, MimeDeleter> form(curl_mime_init(curl));
    curl_mimepart* photo = curl_mime_addpart(form.get());
    curl_mime_name(photo, "photo");
    curl_mime_filename(photo, "parcel.jpg");
    curl_mime_type(photo, "image/jpeg");
    curl_mime_data(photo, jpeg.data(), jpeg.size());
    curl_mimepart* meta = curl_mime_addpart(form.get());
    curl_mime_name(meta, "meta");
    curl_mime_data(meta, meta_json.data(), meta_json.size());
    Headers headers = add_header(Headers(), "X-API-Key: " + api_key);
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_MIMEPOST, form.get());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
    std::string body;
    return perform(curl, body);
}

HttpReply CurlHttp::json_request(const std::string& method, const std::string& url,
                                 const std::string& bearer, const std::string& body) {
    CURL* curl = static_cast<CURL*>(handle_);
    if (curl == nullptr)
        return {};
    curl_easy_reset(curl);
    Headers headers = add_header(Headers(), "Content-Type: application/json");
    if (!bearer.empty())
        headers = add_header(std::move(headers), "Authorization: Bearer " + bearer);
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
    if (method == "POST") {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    }
    std::string answer;
    return perform(curl, answer);
}

} // namespace sarang_fw::host
