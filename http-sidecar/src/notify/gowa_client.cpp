#include "gowa_client.hpp"

#include "sarang/json.hpp"

#include <curl/curl.h>

namespace sarang::http {
namespace {

std::string jid(const std::string& phone) {
    return phone + "@s.whatsapp.net";
}

std::string url_encoded(const std::string& text) {
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            char escaped[4];
            std::snprintf(escaped, sizeof escaped, "%%%02X", c);
            out += escaped;
        }
    }
    return out;
}

} // namespace

out::Reply GowaClient::call(out::Request request, const std::string& path) const {
    if (!configured()) {
        out::Reply reply;
        reply.error = "gowa.base_url is not set in sarang.conf";
        return reply;
    }
    std::string base = settings_.base_url;
    while (!base.empty() && base.back() == '/')
        base.pop_back();
    request.url = base + path;
    request.basic_user = settings_.username;
    request.basic_password = settings_.password;
    request.timeout = settings_.timeout;
    return out::perform(request);
}

out::Reply GowaClient::send_message(const std::string& phone, const std::string& message) const {
    json::Ptr body = json::own(json_object());
    json::set(body.get(), "phone", json::own(json_string(jid(phone).c_str())));
    json::set(body.get(), "message", json::own(json_string(message.c_str())));
    out::Request request;
    request.method = "POST";
    request.headers = {{"Content-Type", "application/json"}};
    request.body = json::dump(body.get());
    return call(std::move(request), "/send/message");
}

out::Reply GowaClient::send_image(const std::string& phone, const std::string& caption,
                                  const std::string& image_url) const {
    out::Request request;
    request.method = "POST";
    request.form = {{"phone", jid(phone)}, {"caption", caption}, {"image_url", image_url}};
    return call(std::move(request), "/send/image");
}

out::Reply GowaClient::devices() const {
    return call({}, "/app/devices");
}

out::Reply GowaClient::login_with_code(const std::string& phone) const {
    return call({}, "/app/login-with-code?phone=" + url_encoded(phone));
}

out::Reply GowaClient::logout() const {
    return call({}, "/app/logout");
}

out::Reply GowaClient::reconnect() const {
    return call({}, "/app/reconnect");
}

out::Reply GowaClient::groups() const {
    return call({}, "/user/my/groups");
}

} // namespace sarang::http
