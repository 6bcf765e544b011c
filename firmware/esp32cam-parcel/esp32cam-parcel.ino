// Seed 004's ESP32-CAM parcel box: a thin shell over parcel_box.cpp. Pins are the AI-Thinker
// board's; the camera is esp_camera, the upload is HTTPClient with the device credential.
#include "parcel_box.hpp"
#include "sarang_fw/arduino/platform_arduino.hpp"
#include "secrets.h" // WIFI_SSID, WIFI_PASSWORD, SARANG_BROKER, SARANG_HTTP, SARANG_FACTORY_SECRET, LABEL_PIN

#include <HTTPClient.h>
#include <esp_camera.h>

namespace {

constexpr int trigger_pin = 13, echo_pin = 15, flash_pin = 4, holder_pin = 12, buzzer_pin = 14;

class CamBox : public sarang_fw::ParcelHardware {
  public:
    std::optional<double> distance_cm() override {
        digitalWrite(trigger_pin, LOW);
        delayMicroseconds(2);
        digitalWrite(trigger_pin, HIGH);
        delayMicroseconds(10);
        digitalWrite(trigger_pin, LOW);
        unsigned long echo = pulseIn(echo_pin, HIGH, 30000);
        if (echo == 0)
            return std::nullopt;
        return echo * 0.0343 / 2;
    }
    std::string capture_jpeg() override {
        camera_fb_t* frame = esp_camera_fb_get();
        if (frame == nullptr)
            return {};
        std::string jpeg(reinterpret_cast<const char*>(frame->buf), frame->len);
        esp_camera_fb_return(frame);
        return jpeg;
    }
    void flash(bool on) override { digitalWrite(flash_pin, on ? HIGH : LOW); }
    void holder(bool open) override { digitalWrite(holder_pin, open ? HIGH : LOW); }
    void buzzer(bool on) override { digitalWrite(buzzer_pin, on ? HIGH : LOW); }
    int rssi() override { return WiFi.RSSI(); }
};

class Uploader : public sarang_fw::HttpClient {
  public:
    sarang_fw::HttpReply post_photo(const std::string& url, const std::string& api_key,
                                    const std::string& jpeg, const std::string& meta) override {
        static const char boundary[] = "----sarang-boundary";
        std::string body = std::string("--") + boundary +
                           "\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\n" + meta +
                           "\r\n--" + boundary +
                           "\r\nContent-Disposition: form-data; name=\"photo\"; "
                           "filename=\"parcel.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n" +
                           jpeg + "\r\n--" + boundary + "--\r\n";
        ::HTTPClient http;
        http.begin(url.c_str());
        http.addHeader("X-API-Key", api_key.c_str());
        http.addHeader("Content-Type", String("multipart/form-data; boundary=") + boundary);
        int status = http.POST(reinterpret_cast<uint8_t*>(body.data()), body.size());
        sarang_fw::HttpReply reply{status > 0 ? status : 0, http.getString().c_str()};
        http.end();
        return reply;
    }
};

sarang_fw::arduino::BoardClock board_clock;
sarang_fw::arduino::BoardRandom board_random;
sarang_fw::arduino::NvsStore nvs;
sarang_fw::arduino::PubSubTransport transport;
CamBox hardware;
Uploader uploader;
sarang_fw::ParcelBox box(hardware, uploader, std::string(SARANG_HTTP) + "/api/v1/packages",
                         "esp32cam-parcel/0.1");
sarang_fw::DeviceCore* core = nullptr;

} // namespace

void setup() {
    pinMode(trigger_pin, OUTPUT);
    pinMode(echo_pin, INPUT);
    for (int pin : {flash_pin, holder_pin, buzzer_pin})
        pinMode(pin, OUTPUT);
    camera_config_t camera = {}; // AI-Thinker pin map, JPEG, SVGA: see the board's example
    camera.pixel_format = PIXFORMAT_JPEG;
    camera.frame_size = FRAMESIZE_SVGA;
    camera.jpeg_quality = 12;
    camera.fb_count = 1;
    esp_camera_init(&camera);
    WiFi.begin(WIFI_SSID, WIFI_PASSWORD);
    configTime(0, 0, "pool.ntp.org");
    sarang_fw::CoreConfig config;
    config.kind = "parcel-box";
    config.device_id = sarang_fw::arduino::board_device_id();
    config.label_pin = LABEL_PIN;
    config.factory_secret = SARANG_FACTORY_SECRET;
    config.broker_host = SARANG_BROKER;
    core = new sarang_fw::DeviceCore(config, box, transport, nvs, board_clock, board_random);
    transport.attach(*core);
}

void loop() {
    if (WiFi.status() == WL_CONNECTED) {
        transport.poll();
        core->loop();
    }
    delay(5);
}
