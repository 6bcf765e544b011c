#pragma once
// The GOWA (go-whatsapp-web-multidevice) calls the SmartParcel seed uses, with HTTP Basic auth,
// the base URL and credentials from sarang.conf (gowa.*) and a timeout on every call.
#include "notify/http_out.hpp"

#include <chrono>
#include <string>

namespace sarang::http {

struct GowaSettings {
    std::string base_url; // empty: WhatsApp is not configured
    std::string username;
    std::string password;
    std::chrono::milliseconds timeout{10000};
    bool configured() const { return !base_url.empty(); }
};

class GowaClient {
  public:
    explicit GowaClient(GowaSettings settings) : settings_(std::move(settings)) {}

    bool configured() const { return settings_.configured(); }
    // phone: digits only; sent as <digits>@s.whatsapp.net.
    out::Reply send_message(const std::string& phone, const std::string& message) const;
    out::Reply send_image(const std::string& phone, const std::string& caption,
                          const std::string& image_url) const;
    out::Reply devices() const;
    out::Reply login_with_code(const std::string& phone) const;
    out::Reply logout() const;
    out::Reply reconnect() const;
    out::Reply groups() const;

  private:
    out::Reply call(out::Request request, const std::string& path) const;
    GowaSettings settings_;
};

} // namespace sarang::http
