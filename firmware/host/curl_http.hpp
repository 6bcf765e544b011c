#pragma once
// The core's HttpClient over libcurl (photo uploads), plus the JSON calls sarang-sim makes to
// the sidecar as an app would (login, claim).
#include "sarang_fw/platform.hpp"

#include <string>

namespace sarang_fw::host {

class CurlHttp : public HttpClient {
  public:
    CurlHttp();
    ~CurlHttp() override;
    CurlHttp(const CurlHttp&) = delete;
    CurlHttp& operator=(const CurlHttp&) = delete;

    HttpReply post_photo(const std::string& url, const std::string& api_key,
                         const std::string& jpeg, const std::string& meta_json) override;
    // method GET or POST; bearer may be empty.
    HttpReply json_request(const std::string& method, const std::string& url,
                           const std::string& bearer, const std::string& body);

  private:
    void* handle_ = nullptr; // CURL*
};

} // namespace sarang_fw::host
