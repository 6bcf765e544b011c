#include "journal.hpp"

#include "sarang/log.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <stdexcept>
#include <sys/mman.h>
#include <unistd.h>

namespace sarang::telemetry {
namespace {

constexpr std::uint32_t record_magic = 0x314a5253; // "SRJ1"
// Sequence numbers stay below 2^63: no journal gets there (300,000 years at a million messages a
// second), so a record or file numbered beyond it is damage, and sequence + 1 never wraps.
constexpr std::uint64_t sequence_limit = 1ull << 63;
constexpr std::size_t header_size = 36;
// The reader's read size: it reads up to the broker's write position, past which a live segment
// holds preallocated zeros, on every batch.
constexpr std::size_t read_chunk = 64 << 10;
// The append mapping (and the blocks behind it) grows this much at a time, or less for smaller
// segments.
constexpr std::uint64_t map_step = 1 << 20;
constexpr std::uint64_t page_size = 4096;

struct Header {
    std::uint32_t magic;
    std::uint32_t body_length; // bytes after the header
    std::uint32_t crc;         // of the header from `sequence` on, and the body
    std::uint64_t sequence;
    std::int64_t received_us;
    std::uint16_t device_length;
    std::uint16_t topic_length;
    std::uint32_t payload_length;
};

char* put(char* at, const void* value, std::size_t size) {
    std::memcpy(at, value, size);
    return at + size;
}

bool all_zero(std::string_view bytes) {
    return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == 0; });
}

template <typename T> T take(const char* at) {
    T value;
    std::memcpy(&value, at, sizeof value);
    return value;
}

Header decode_header(const char* at) {
    return {take<std::uint32_t>(at),      take<std::uint32_t>(at + 4), take<std::uint32_t>(at + 8),
            take<std::uint64_t>(at + 12), take<std::int64_t>(at + 20), take<std::uint16_t>(at + 28),
            take<std::uint16_t>(at + 30), take<std::uint32_t>(at + 32)};
}

// A complete, intact record at `at` of `available` bytes: its total size, else 0.
std::size_t valid_record(const char* at, std::size_t available) {
    if (available < header_size)
        return 0;
    Header header = decode_header(at);
    std::size_t fields =
        std::size_t{header.device_length} + header.topic_length + header.payload_length;
    if (header.magic != record_magic || header.body_length != fields ||
        header.sequence >= sequence_limit || available < header_size + fields)
        return 0;
    if (crc32({at + 12, header_size - 12 + fields}) != header.crc)
        return 0;
    return header_size + fields;
}

std::string errno_text() {
    return std::strerror(errno);
}

} // namespace

// Slicing-by-8: eight bytes per step through eight tables, several times faster than a byte
// at a time. It runs on the broker thread for every append and on the worker for every read.
std::uint32_t crc32(std::string_view bytes, std::uint32_t crc) {
    using Tables = std::array<std::array<std::uint32_t, 256>, 8>;
    static const Tables tables = [] {
        Tables t{};
        for (std::uint32_t i = 0; i < 256; ++i) {
            std::uint32_t c = i;
            for (int k = 0; k < 8; ++k)
                c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[0][i] = c;
        }
        for (std::uint32_t i = 0; i < 256; ++i)
            for (std::size_t k = 1; k < 8; ++k)
                t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xFF];
        return t;
    }();
    crc = ~crc;
    const auto* at = reinterpret_cast<const unsigned char*>(bytes.data());
    std::size_t left = bytes.size();
    for (; left >= 8; left -= 8, at += 8) {
        // Little-endian byte order by construction, whatever the host's.
        std::uint32_t low = (at[0] | at[1] << 8 | at[2] << 16 | std::uint32_t{at[3]} << 24) ^ crc;
        std::uint32_t high = at[4] | at[5] << 8 | at[6] << 16 | std::uint32_t{at[7]} << 24;
        crc = tables[7][low & 0xFF] ^ tables[6][(low >> 8) & 0xFF] ^ tables[5][(low >> 16) & 0xFF] ^
              tables[4][low >> 24] ^ tables[3][high & 0xFF] ^ tables[2][(high >> 8) & 0xFF] ^
              tables[1][(high >> 16) & 0xFF] ^ tables[0][high >> 24];
    }
    for (; left > 0; --left, ++at)
        crc = tables[0][(crc ^ *at) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

FileHandle::~FileHandle() {
    if (fd_ >= 0)
        ::close(fd_);
}

FileHandle& FileHandle::operator=(FileHandle&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

Journal::Journal(std::filesystem::path dir, JournalLimits limits)
    : dir_(std::move(dir)), limits_(limits) {
    std::error_code error;
    std::filesystem::create_directories(dir_, error);
    if (error)
        throw std::runtime_error("journal folder " + dir_.string() + ": " + error.message());
    recover();
}

Journal::~Journal() {
    close_append_segment();
    try {
        flush_checkpoint();
    } catch (const std::exception&) {
        // Only a path that cannot be built: the next start re-lands a little more.
    }
}

std::filesystem::path Journal::segment_path(std::uint64_t first) const {
    char name[32];
    std::snprintf(name, sizeof name, "%020llu.seg", static_cast<unsigned long long>(first));
    return dir_ / name;
}

void Journal::recover() {
    std::uint64_t checkpoint = 0;
    if (std::FILE* file = std::fopen((dir_ / "checkpoint").c_str(), "r")) {
        unsigned long long value = 0;
        if (std::fscanf(file, "%llu", &value) == 1)
            checkpoint = value;
        std::fclose(file);
    }
    std::vector<Segment> segments;
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
        std::string name = entry.path().filename().string();
        unsigned long long first = 0;
        char tail[8] = {};
        if (name.size() == 24 && std::sscanf(name.c_str(), "%20llu%4s", &first, tail) == 2 &&
            std::strcmp(tail, ".seg") == 0 && first < sequence_limit)
            segments.push_back({first, entry.file_size()});
    }
    std::sort(segments.begin(), segments.end(),
              [](const Segment& a, const Segment& b) { return a.first < b.first; });

    // The newest segment may end in a torn record; everything before it was complete when
    // the broker moved on to a new file.
    std::uint64_t last_sequence = checkpoint;
    if (!segments.empty()) {
        Segment& newest = segments.back();
        FileHandle fd(::open(segment_path(newest.first).c_str(), O_RDWR | O_CLOEXEC));
        if (!fd)
            throw std::runtime_error("journal segment: " + errno_text());
        std::string content(newest.size, '\0');
        ssize_t got = ::pread(fd.get(), content.data(), content.size(), 0);
        std::size_t good = 0;
        while (got >= 0 && good < static_cast<std::size_t>(got)) {
            std::size_t size = valid_record(content.data() + good, got - good);
            if (size == 0)
                break;
            last_sequence = std::max(last_sequence, decode_header(content.data() + good).sequence);
            good += size;
        }
        if (good < newest.size) {
            // Zeros are the preallocated rest of a segment the broker did not close (a crash).
            if (got < 0 || static_cast<std::uint64_t>(got) < newest.size ||
                !all_zero(std::string_view(content).substr(good)))
                LOG_WARN("telemetry", "journal: cutting %llu torn bytes off %s",
                         static_cast<unsigned long long>(newest.size - good),
                         segment_path(newest.first).c_str());
            if (::ftruncate(fd.get(), static_cast<off_t>(good)) != 0)
                throw std::runtime_error("journal truncate: " + errno_text());
            newest.size = good;
        }
        if (good == 0 && newest.first > last_sequence)
            last_sequence = newest.first - 1;
    }
    next_sequence_ = last_sequence + 1;
    last_appended_.store(last_sequence, std::memory_order_release);
    checkpoint_.store(std::min(checkpoint, last_sequence), std::memory_order_relaxed);
    checkpoint_written_ = checkpoint_.load();
    next_read_ = checkpoint_.load() + 1;

    // Whole segments that landed before the crash; the reader starts in the one after them.
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < segments.size(); ++i) {
        bool landed = i + 1 < segments.size() && segments[i + 1].first <= next_read_;
        if (landed)
            std::filesystem::remove(segment_path(segments[i].first));
        else
            total += segments[i].size;
    }
    bytes_.store(total, std::memory_order_relaxed);
    if (!segments.empty() && segments.back().size < limits_.segment_bytes)
        open_segment_for_append(segments.back().first);
}

bool Journal::open_segment_for_append(std::uint64_t first) {
    close_append_segment(); // cut to its records before any record of the next one exists
    FileHandle fd(::open(segment_path(first).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd) {
        LOG_ERROR("telemetry", "journal: cannot open %s: %s", segment_path(first).c_str(),
                  errno_text().c_str());
        return false;
    }
    off_t size = ::lseek(fd.get(), 0, SEEK_END);
    append_fd_ = std::move(fd);
    append_segment_size_ = size > 0 ? static_cast<std::uint64_t>(size) : 0;
    append_segment_first_.store(first, std::memory_order_relaxed);
    return true;
}

bool Journal::reserve(std::uint64_t needed) {
    if (needed <= mapped_bytes_)
        return true;
    std::uint64_t step = std::min(map_step, std::max(limits_.segment_bytes, page_size));
    std::uint64_t bytes = std::max(needed, mapped_bytes_ + step);
    bytes = (bytes + page_size - 1) / page_size * page_size;
    // Blocks allocated before the mapping reaches them: a store can then never meet a full
    // disk (which would be SIGBUS instead of an error).
    if (int error = ::posix_fallocate(append_fd_.get(), 0, static_cast<off_t>(bytes)); error != 0) {
        LOG_ERROR("telemetry", "journal: cannot allocate %llu bytes for %s: %s",
                  static_cast<unsigned long long>(bytes),
                  segment_path(append_segment_first_.load()).c_str(), std::strerror(error));
        return false;
    }
    void* at = mapped_ == nullptr
                   ? ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, append_fd_.get(), 0)
                   : ::mremap(mapped_, mapped_bytes_, bytes, MREMAP_MAYMOVE);
    if (at == MAP_FAILED) {
        LOG_ERROR("telemetry", "journal: cannot map %s: %s",
                  segment_path(append_segment_first_.load()).c_str(), errno_text().c_str());
        return false; // a failed mremap leaves the old mapping as it was
    }
    mapped_ = static_cast<char*>(at);
    mapped_bytes_ = bytes;
    return true;
}

void Journal::close_append_segment() {
    if (mapped_ != nullptr)
        ::munmap(mapped_, mapped_bytes_);
    mapped_ = nullptr;
    mapped_bytes_ = 0;
    if (!append_fd_)
        return;
    // The preallocated rest goes, so that the segment ends where its records do (the reader
    // moves on to the next segment at its end).
    if (::ftruncate(append_fd_.get(), static_cast<off_t>(append_segment_size_)) != 0)
        LOG_ERROR("telemetry", "journal: cannot cut %s to its records: %s",
                  segment_path(append_segment_first_.load()).c_str(), errno_text().c_str());
    append_fd_ = FileHandle();
}

Journal::Append Journal::append(std::string_view device_id, std::string_view topic,
                                std::string_view payload, TimePoint now) {
    if (device_id.size() > 0xFFFF || topic.size() > 0xFFFF || payload.size() > 0xFFFFFFFFu)
        return Append::failed;
    std::size_t size = header_size + device_id.size() + topic.size() + payload.size();
    if (bytes_.load(std::memory_order_relaxed) + size > limits_.max_bytes)
        return Append::full;
    bool segment_full =
        append_segment_size_ > 0 && append_segment_size_ + size > limits_.segment_bytes;
    if ((!append_fd_ || segment_full) && !open_segment_for_append(next_sequence_))
        return Append::failed;
    if (!reserve(append_segment_size_ + size))
        return Append::failed; // nothing written, no number used
    std::int64_t received_us =
        std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
    received_us = std::max(received_us, last_received_us_ + 1);

    Header header{record_magic,
                  static_cast<std::uint32_t>(size - header_size),
                  0,
                  next_sequence_,
                  received_us,
                  static_cast<std::uint16_t>(device_id.size()),
                  static_cast<std::uint16_t>(topic.size()),
                  static_cast<std::uint32_t>(payload.size())};
    // Stored straight into the segment's shared mapping: the page cache, like a write(), so it
    // survives a crash of the broker, without a system call per message.
    char* record = mapped_ + append_segment_size_;
    char* at = put(record, &header.magic, 4);
    at = put(at, &header.body_length, 4);
    at = put(at, &header.crc, 4);
    at = put(at, &header.sequence, 8);
    at = put(at, &header.received_us, 8);
    at = put(at, &header.device_length, 2);
    at = put(at, &header.topic_length, 2);
    at = put(at, &header.payload_length, 4);
    at = put(at, device_id.data(), device_id.size());
    at = put(at, topic.data(), topic.size());
    put(at, payload.data(), payload.size());
    std::uint32_t crc = crc32({record + 12, size - 12});
    std::memcpy(record + 8, &crc, 4);
    append_segment_size_ += size;
    bytes_.fetch_add(size, std::memory_order_relaxed);
    last_received_us_ = received_us;
    // seq_cst on both sides of the doorbell (here and in wait_for_data), so that either the
    // reader sees the new record or this thread sees the reader waiting.
    last_appended_.store(next_sequence_++, std::memory_order_seq_cst);
    if (reader_waiting_.load(std::memory_order_seq_cst)) {
        std::lock_guard lock(doorbell_mutex_);
        doorbell_.notify_one();
    }
    return Append::stored;
}

void Journal::wait_for_data(std::chrono::milliseconds timeout, std::stop_token stop) {
    std::unique_lock lock(doorbell_mutex_);
    reader_waiting_.store(true, std::memory_order_seq_cst);
    bool arrived =
        doorbell_.wait_for(lock, stop, timeout, [&] { return last_appended() >= next_read_; });
    reader_waiting_.store(false, std::memory_order_relaxed);
    // Nobody rings while the reader is not waiting: this wakes only for stop (or spuriously).
    if (arrived && limits_.gather.count() > 0)
        doorbell_.wait_for(lock, stop, limits_.gather, [] { return false; });
}

std::vector<std::uint64_t> Journal::segment_firsts() const {
    std::vector<std::uint64_t> firsts;
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
        unsigned long long first = 0;
        std::string name = entry.path().filename().string();
        if (name.size() != 24 || name.substr(20) != ".seg" ||
            std::sscanf(name.c_str(), "%20llu", &first) != 1 || first >= sequence_limit)
            continue;
        firsts.push_back(first);
    }
    return firsts;
}

std::optional<std::uint64_t> Journal::segment_after(std::uint64_t first) const {
    std::optional<std::uint64_t> next;
    for (std::uint64_t candidate : segment_firsts()) {
        if (candidate > first && (!next || candidate < *next))
            next = candidate;
    }
    return next;
}

bool Journal::open_reader_at(std::uint64_t sequence) {
    // The segment holding `sequence` is the newest one whose first record is not after it.
    std::uint64_t best = 0;
    bool found = false;
    for (std::uint64_t first : segment_firsts()) {
        if (first <= sequence && (!found || first > best)) {
            best = first;
            found = true;
        }
    }
    if (!found)
        return false;
    FileHandle fd(::open(segment_path(best).c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd)
        return false;
    read_fd_ = std::move(fd);
    read_segment_first_ = best;
    read_buffer_.clear();
    read_position_ = 0;
    return true;
}

bool Journal::reread_at_position() {
    // Where read_position_ is in the file: what was read so far, less what is buffered after it.
    off_t end = ::lseek(read_fd_.get(), 0, SEEK_CUR);
    off_t at = end - static_cast<off_t>(read_buffer_.size() - read_position_);
    read_buffer_.clear();
    read_position_ = 0;
    if (end < 0 || at < 0 || ::lseek(read_fd_.get(), at, SEEK_SET) != at)
        return false;
    // Until the record there is whole by its header's length, or the end of the file.
    std::size_t wanted = header_size;
    while (read_buffer_.size() < wanted) {
        std::size_t old_size = read_buffer_.size();
        read_buffer_.resize(old_size + read_chunk);
        ssize_t got = ::read(read_fd_.get(), read_buffer_.data() + old_size, read_chunk);
        read_buffer_.resize(old_size + (got > 0 ? static_cast<std::size_t>(got) : 0));
        if (got <= 0)
            break;
        if (read_buffer_.size() >= header_size) {
            Header header = decode_header(read_buffer_.data());
            if (header.magic == record_magic)
                wanted = header_size + header.body_length;
        }
    }
    return !read_buffer_.empty();
}

std::vector<RawMessage> Journal::read(std::size_t max) {
    std::vector<RawMessage> out;
    std::uint64_t target = last_appended();
    // The bytes at read_position_ came from a read that started there, after `target` was
    // loaded. Bytes buffered past a record can be stale: the broker stores into a mapping, and
    // a segment it is still appending to reads as zeros (or half a record) past its last one.
    // A record up to `target` is whole in the file, so only a fresh read of it is final.
    bool fresh = false;
    while (out.size() < max && next_read_ <= target) {
        if (!read_fd_ && !open_reader_at(next_read_)) {
            LOG_ERROR("telemetry", "journal: record %llu is missing; skipping to %llu",
                      static_cast<unsigned long long>(next_read_),
                      static_cast<unsigned long long>(target + 1));
            next_read_ = target + 1;
            break;
        }
        std::size_t size = valid_record(read_buffer_.data() + read_position_,
                                        read_buffer_.size() - read_position_);
        if (size == 0 && !fresh) {
            fresh = true;
            if (reread_at_position())
                continue;
        }
        if (size == 0) {
            fresh = false;
            // The end of this segment: the next record is in the segment named after it.
            std::uint64_t segment_size =
                static_cast<std::uint64_t>(::lseek(read_fd_.get(), 0, SEEK_CUR));
            if (read_buffer_.size() > read_position_)
                LOG_ERROR("telemetry", "journal: %zu unreadable bytes at the end of %s",
                          read_buffer_.size() - read_position_,
                          segment_path(read_segment_first_).c_str());
            ::fdatasync(read_fd_.get()); // finished by the broker: make it durable once
            finished_.push_back({read_segment_first_, segment_size});
            read_fd_ = FileHandle();
            // A torn write leaves a gap: the broker never reuses the torn record's number and
            // starts a new segment. Reopening by next_read_ would find this segment again and
            // loop forever; the reader goes on in the segment after it.
            std::optional<std::uint64_t> next = segment_after(read_segment_first_);
            if (!next) {
                LOG_ERROR("telemetry", "journal: records %llu-%llu are missing",
                          static_cast<unsigned long long>(next_read_),
                          static_cast<unsigned long long>(target));
                next_read_ = target + 1;
                break;
            }
            if (*next > next_read_) {
                LOG_WARN("telemetry", "journal: records %llu-%llu were torn; going on at %llu",
                         static_cast<unsigned long long>(next_read_),
                         static_cast<unsigned long long>(*next - 1),
                         static_cast<unsigned long long>(*next));
                next_read_ = *next;
            }
            continue;
        }
        const char* at = read_buffer_.data() + read_position_;
        Header header = decode_header(at);
        read_position_ += size;
        fresh = false;
        if (header.sequence < next_read_)
            continue; // landed before a restart
        const char* fields = at + header_size;
        RawMessage message;
        message.sequence = header.sequence;
        message.device_id.assign(fields, header.device_length);
        message.topic.assign(fields + header.device_length, header.topic_length);
        message.payload.assign(fields + header.device_length + header.topic_length,
                               header.payload_length);
        // Only a damaged file holds a time a time_point cannot carry (past the year 2262).
        constexpr std::int64_t max_us = std::numeric_limits<std::int64_t>::max() / 1000;
        message.received_at = TimePoint(std::chrono::duration_cast<TimePoint::duration>(
            std::chrono::microseconds(std::clamp(header.received_us, -max_us, max_us))));
        next_read_ = header.sequence + 1;
        out.push_back(std::move(message));
    }
    return out;
}

bool Journal::write_checkpoint(std::uint64_t sequence) {
    std::filesystem::path temporary = dir_ / "checkpoint.tmp";
    FileHandle fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    char text[32];
    int length =
        std::snprintf(text, sizeof text, "%llu\n", static_cast<unsigned long long>(sequence));
    std::error_code error;
    if (fd && ::write(fd.get(), text, length) == length) {
        // Not fsynced: a lost checkpoint only means landing some records again, which
        // PostgreSQL deduplicates.
        std::filesystem::rename(temporary, dir_ / "checkpoint", error);
        if (!error) {
            checkpoint_written_ = sequence;
            next_checkpoint_ = std::chrono::steady_clock::now() + limits_.checkpoint_interval;
            return true;
        }
    }
    LOG_WARN("telemetry", "journal checkpoint not written: %s",
             error ? error.message().c_str() : errno_text().c_str());
    return false;
}

void Journal::flush_checkpoint() {
    std::uint64_t landed = checkpoint_.load(std::memory_order_relaxed);
    if (landed > checkpoint_written_)
        write_checkpoint(landed);
}

bool Journal::oldest_finished_landed(std::uint64_t sequence) const {
    if (finished_.empty())
        return false;
    std::uint64_t successor = finished_.size() > 1 ? finished_[1].first : read_segment_first_;
    if (!read_fd_ && finished_.size() == 1)
        successor = next_read_; // between segments
    return successor <= sequence + 1;
}

void Journal::landed(std::uint64_t sequence) {
    if (sequence <= checkpoint_.load(std::memory_order_relaxed))
        return;
    checkpoint_.store(sequence, std::memory_order_relaxed);
    // A segment is deleted only once the file says it has landed: a restart must never look
    // for a record before the checkpoint in a segment that is gone.
    bool segment_done = oldest_finished_landed(sequence);
    if ((segment_done || std::chrono::steady_clock::now() >= next_checkpoint_) &&
        !write_checkpoint(sequence))
        return; // segments stay until a checkpoint covers them
    if (!segment_done)
        return;
    while (oldest_finished_landed(sequence)) {
        std::error_code error;
        std::filesystem::remove(segment_path(finished_.front().first), error);
        bytes_.fetch_sub(std::min(bytes_.load(), finished_.front().size),
                         std::memory_order_relaxed);
        finished_.pop_front();
    }
}

void Journal::close_reader() {
    flush_checkpoint();
    read_fd_ = FileHandle();
    read_buffer_.clear();
    read_position_ = 0;
}

void Journal::sync() {
    std::uint64_t first = append_segment_first_.load(std::memory_order_relaxed);
    if (first == 0)
        return;
    FileHandle fd(::open(segment_path(first).c_str(), O_RDONLY | O_CLOEXEC));
    if (fd)
        ::fdatasync(fd.get());
}

} // namespace sarang::telemetry
