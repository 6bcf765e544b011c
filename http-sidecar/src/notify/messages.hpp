#pragma once
// What a notification says and how its links and webhooks are signed; pure functions.
#include "sarang/json.hpp"

#include <chrono>
#include <string>

namespace sarang::http {

// The caption or text of a notification of `kind` in `language` ("id": Bahasa Indonesia, the
// seed's; "en"). `data` holds the event's fields; `device` its device's name; `when` its time as
// people read it. Unknown fields are left out, never printed as "null".
std::string notification_text(const std::string& kind, const std::string& language,
                              const json_t* data, const std::string& device,
                              const std::string& when);

// A link to a stored image that works until `expires` without a session:
// {public_url}/api/v1/media/{path}?expires=<unix seconds>&signature=<hex HMAC>.
std::string signed_media_url(const std::string& public_url, const std::string& path,
                             std::chrono::system_clock::time_point expires,
                             const std::string& pepper);
bool media_signature_valid(const std::string& path, long long expires_unix,
                           const std::string& signature, const std::string& pepper,
                           std::chrono::system_clock::time_point now);

// The code that verifies a WhatsApp recipient (docs/notifications.md): six digits derived from
// a random nonce with the pepper, so that only the nonce is stored, never the code.
std::string whatsapp_verification_code(const std::string& pepper, const std::string& phone,
                                       const std::string& nonce);

// A webhook's secret (derived, never stored) and the X-Sarang-Signature of a body.
std::string webhook_secret(const std::string& pepper, long long webhook_id);
std::string webhook_signature(const std::string& secret, const std::string& body);

} // namespace sarang::http
