#include "notify/messages.hpp"

#include "sarang/crypto.hpp"

#include <cstdint>
#include <cstdio>

namespace sarang::http {
namespace {

std::string field(const json_t* data, const char* name) {
    const json_t* value = json_object_get(data, name);
    if (json_is_string(value))
        return json_string_value(value);
    if (json_is_integer(value))
        return std::to_string(json_integer_value(value));
    if (json_is_real(value)) {
        char text[32];
        std::snprintf(text, sizeof text, "%g", json_real_value(value));
        return text;
    }
    return {};
}

// "label value" on its own line, or nothing when the value is missing.
std::string line(const std::string& label, const std::string& value, const std::string& unit = "") {
    return value.empty() ? std::string() : "\n" + label + value + unit;
}

} // namespace

std::string notification_text(const std::string& kind, const std::string& language,
                              const json_t* data, const std::string& device,
                              const std::string& when) {
    bool en = language == "en";
    std::string where = device.empty() ? std::string() : (en ? " at " : " di ") + device;
    if (kind == "package_received")
        return (en ? "📦 New parcel received" : "📦 Paket baru diterima") + where + "." +
               line(en ? "Time: " : "Waktu: ", when) +
               line(en ? "Distance: " : "Jarak: ", field(data, "distanceCm"), " cm");
    if (kind == "pin_lockout")
        return (en ? "🚨 Security alert: too many wrong PINs"
                   : "🚨 Peringatan keamanan: terlalu "
                     "banyak PIN salah") +
               where + "." +
               line(en ? "Locked for: " : "Dikunci selama: ", field(data, "remainingSeconds"),
                    en ? " seconds" : " detik") +
               line(en ? "Time: " : "Waktu: ", when);
    if (kind == "lock_alert")
        return (en ? "🚨 Door lock alert" : "🚨 Peringatan kunci pintu") + where + "." +
               line(en ? "Wrong PIN attempts: " : "Percobaan PIN salah: ",
                    field(data, "attempts")) +
               line(en ? "Time: " : "Waktu: ", when);
    if (kind == "dispense_failed")
        return (en ? "⚠️ Dispense failed" : "⚠️ Produk gagal keluar") + where + "." +
               line("Slot: ", field(data, "slot")) +
               line(en ? "Order: " : "Pesanan: ", field(data, "orderId")) +
               line(en ? "Time: " : "Waktu: ", when);
    if (kind == "slot_empty")
        return (en ? "ℹ️ Slot empty" : "ℹ️ Slot kosong") + where + "." +
               line("Slot: ", field(data, "slot"));
    if (kind == "device_offline")
        return (en ? "⚠️ Device offline" : "⚠️ Perangkat offline") + where + "." +
               line(en ? "Offline for: " : "Offline selama: ", field(data, "minutes"),
                    en ? " minutes" : " menit");
    if (kind == "whatsapp_verification")
        return (en ? "Your Sarang verification code: " : "Kode verifikasi Sarang Anda: ") +
               field(data, "code") +
               (en ? ". It expires in 10 minutes. Did not ask for it? Ignore this message."
                   : ". Berlaku 10 menit. Tidak memintanya? Abaikan pesan ini.");
    std::string message = field(data, "message");
    return message.empty() ? (en ? "Test message from Sarang" : "Pesan uji dari Sarang") : message;
}

std::string signed_media_url(const std::string& public_url, const std::string& path,
                             std::chrono::system_clock::time_point expires,
                             const std::string& pepper) {
    long long unix_seconds =
        std::chrono::duration_cast<std::chrono::seconds>(expires.time_since_epoch()).count();
    std::string signature = crypto::hex_encode(
        crypto::hmac_sha256(pepper, "media:" + path + ":" + std::to_string(unix_seconds)));
    std::string base = public_url;
    while (!base.empty() && base.back() == '/')
        base.pop_back();
    return base + "/api/v1/media/" + path + "?expires=" + std::to_string(unix_seconds) +
           "&signature=" + signature;
}

bool media_signature_valid(const std::string& path, long long expires_unix,
                           const std::string& signature, const std::string& pepper,
                           std::chrono::system_clock::time_point now) {
    long long now_unix =
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    if (expires_unix < now_unix)
        return false;
    std::string expected = crypto::hex_encode(
        crypto::hmac_sha256(pepper, "media:" + path + ":" + std::to_string(expires_unix)));
    return crypto::constant_time_equal(expected, signature);
}

std::string whatsapp_verification_code(const std::string& pepper, const std::string& phone,
                                       const std::string& nonce) {
    crypto::Digest mac =
        crypto::hmac_sha256(pepper, "whatsapp-verification:" + phone + ":" + nonce);
    std::uint32_t value = (std::uint32_t(mac[0]) << 24) | (std::uint32_t(mac[1]) << 16) |
                          (std::uint32_t(mac[2]) << 8) | std::uint32_t(mac[3]);
    char code[8];
    std::snprintf(code, sizeof code, "%06u", static_cast<unsigned>(value % 1000000));
    return code;
}

std::string webhook_secret(const std::string& pepper, long long webhook_id) {
    return crypto::hex_encode(crypto::hmac_sha256(pepper, "webhook:" + std::to_string(webhook_id)));
}

std::string webhook_signature(const std::string& secret, const std::string& body) {
    return "sha256=" + crypto::hex_encode(crypto::hmac_sha256(secret, body));
}

} // namespace sarang::http
