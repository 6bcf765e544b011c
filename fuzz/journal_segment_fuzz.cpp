// The telemetry journal reading back segment files it finds on disk: torn, truncated, reordered
// or hostile. The input is a checkpoint line and up to three segments (a name number and bytes);
// records whose magic and lengths fit get their CRC fixed up so the fuzzer reaches the reader's
// logic behind the checksum. Opening and reading must end, in order, without a crash.
#include "fuzz_support.hpp"
#include "journal.hpp"
#include "sarang/log.hpp"

#include <cstring>
#include <fstream>
#include <unistd.h>

namespace fs = std::filesystem;

namespace {

constexpr std::size_t header_size = 36;

void fix_crcs(std::string& bytes) {
    std::size_t at = 0;
    while (at + header_size <= bytes.size()) {
        std::uint32_t magic = 0, body = 0;
        std::memcpy(&magic, bytes.data() + at, 4);
        std::memcpy(&body, bytes.data() + at + 4, 4);
        std::uint16_t device = 0, topic = 0;
        std::uint32_t payload = 0;
        std::memcpy(&device, bytes.data() + at + 28, 2);
        std::memcpy(&topic, bytes.data() + at + 30, 2);
        std::memcpy(&payload, bytes.data() + at + 32, 4);
        std::size_t fields = std::size_t{device} + topic + payload;
        if (magic != 0x314a5253 || body != fields || at + header_size + fields > bytes.size())
            return;
        std::uint32_t crc = sarang::telemetry::crc32(
            std::string_view(bytes).substr(at + 12, header_size - 12 + fields));
        std::memcpy(bytes.data() + at + 8, &crc, 4);
        at += header_size + fields;
    }
}

// A folder of its own for the whole run, on tmpfs when there is one: the reader fdatasync()s
// every segment it finishes.
struct Folder {
    fs::path path;
    Folder() {
        char in_memory[] = "/dev/shm/sarang-journal-fuzz-XXXXXX";
        char on_disk[] = "/tmp/sarang-journal-fuzz-XXXXXX";
        const char* made = mkdtemp(in_memory);
        path = made ? made : mkdtemp(on_disk);
        FUZZ_CHECK(!path.empty());
    }
    ~Folder() {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static bool quiet = [] {
        sarang::log::set_level(sarang::log::Level::error);
        return true;
    }();
    (void)quiet;
    FuzzedDataProvider input(data, size);
    static Folder folder;
    const fs::path& dir = folder.path;
    fs::remove_all(dir);
    fs::create_directories(dir);
    if (input.ConsumeBool())
        std::ofstream(dir / "checkpoint") << input.ConsumeRandomLengthString(24);
    for (int segments = input.ConsumeIntegralInRange(1, 3); segments > 0; --segments) {
        auto first = input.ConsumeIntegralInRange<unsigned long long>(1, 64);
        std::string bytes = input.ConsumeRandomLengthString(4096);
        if (input.ConsumeBool())
            fix_crcs(bytes);
        char name[32];
        std::snprintf(name, sizeof name, "%020llu.seg", first);
        std::ofstream(dir / name, std::ios::binary) << bytes;
    }
    try {
        sarang::telemetry::Journal journal(dir, {});
        std::uint64_t last = 0;
        for (int round = 0; round < 4; ++round) {
            std::vector<sarang::telemetry::RawMessage> batch = journal.read(64);
            for (const auto& message : batch) {
                FUZZ_CHECK(message.sequence > last); // never twice, never backwards
                last = message.sequence;
            }
            if (!batch.empty())
                journal.landed(batch.back().sequence);
            journal.append("dev-1", "hydro/dev-1/reading", "{\"ph\":6}",
                           std::chrono::system_clock::now());
        }
    } catch (const std::exception&) {
        // A journal folder it cannot use is refused at startup; that is an answer too.
    }
    return 0;
}
