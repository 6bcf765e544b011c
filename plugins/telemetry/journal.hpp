#pragma once
// The telemetry journal. The MESSAGE callback appends every data message here on the broker
// thread, before the broker acknowledges it: stored into a shared mapping of the segment file
// (its blocks allocated ahead, 1 MiB at a time), so the record is in the page cache as after a
// write(), without a system call per message; no fsync. The writer worker reads it back with
// read(), lands it in PostgreSQL and then trims. A broker crash loses nothing the kernel got: at
// the next start the worker re-lands everything after the checkpoint, and PostgreSQL's keys drop
// what had landed already. While PostgreSQL is away the journal grows on disk, up to its limit;
// memory use does not grow with it.
//
// On disk: <dir>/<first sequence, 20 digits>.seg, each a run of records, and <dir>/checkpoint
// with a sequence known to have landed: rewritten at most every checkpoint_interval (a new file
// and a rename cost the writer ~200 µs, a landed batch comes every few ms), before a landed
// segment is deleted and when the journal closes; a crash re-lands at most that interval's
// batches, which the database deduplicates as it does any replay. A record is a 36-byte header
// (magic, body length, CRC-32 of the rest, sequence, receive time in microseconds, field lengths)
// and the device id, topic and payload. A segment ends at its last record once the broker moves
// on or closes; a live one reads as zeros past it, so the reader trusts only bytes it read
// afresh from a record's start after that record was published (last_appended). A torn record
// or the preallocated zeros at the end (a crash, power loss) are cut off at open.
//
// Threads: append() belongs to the broker thread; read(), landed() and sync() to one worker.
// They share only atomics and the doorbell.
#include "message_batch.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sarang::telemetry {

struct JournalLimits {
    std::uint64_t segment_bytes = 64ull << 20; // a new file after this many bytes
    std::uint64_t max_bytes = 1ull << 30;      // append refuses beyond this
    std::chrono::milliseconds checkpoint_interval{1000};
    // How long the worker, woken by the first record after the journal ran dry, lets more
    // arrive before it reads: a landed batch has a fixed cost (a transaction, round trips),
    // so at a moderate rate a few more ms of landing delay buy batches several times larger.
    // The PUBACK never waits for it.
    std::chrono::milliseconds gather{10};
};

// A file descriptor that closes itself.
class FileHandle {
  public:
    FileHandle() = default;
    explicit FileHandle(int fd) : fd_(fd) {}
    ~FileHandle();
    FileHandle(FileHandle&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    FileHandle& operator=(FileHandle&& other) noexcept;
    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }

  private:
    int fd_ = -1;
};

class Journal {
  public:
    // Opens or creates the journal in `dir`: cuts a torn tail off the newest segment, reads the
    // checkpoint, deletes segments that have landed. Throws std::runtime_error when the folder
    // cannot be used.
    Journal(std::filesystem::path dir, JournalLimits limits);
    ~Journal(); // writes a checkpoint that is due
    Journal(const Journal&) = delete;
    Journal& operator=(const Journal&) = delete;

    enum class Append { stored, full, failed };
    // Broker thread. `now` becomes the receive time, nudged so that it grows strictly: two
    // messages of one device never share a time on this node.
    Append append(std::string_view device_id, std::string_view topic, std::string_view payload,
                  TimePoint now);

    // Worker. The records after the last one read, in order, at most `max`; empty when none
    // are waiting.
    std::vector<RawMessage> read(std::size_t max);
    // Worker. Waits until something is appended (then gives more records `gather` to arrive),
    // the timeout passes or stop is requested.
    void wait_for_data(std::chrono::milliseconds timeout, std::stop_token stop);
    // Worker. Everything up to `sequence` has landed: checkpoint it (when due, see above) and
    // delete whole segments.
    void landed(std::uint64_t sequence);
    // Worker. Flushes appended records to the disk (power-loss safety, not crash safety).
    void sync();
    // Worker, as it stops. Closes the read descriptor, which the worker opened in its own fd
    // table (FileTable::own): the destructor runs on the broker thread, where that number is
    // some other descriptor (a client socket). The next read() reopens at the next record.
    // Also writes a checkpoint that is due.
    void close_reader();

    std::uint64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }
    std::uint64_t limit() const { return limits_.max_bytes; }
    std::uint64_t last_appended() const { return last_appended_.load(std::memory_order_acquire); }
    std::uint64_t last_landed() const { return checkpoint_.load(std::memory_order_relaxed); }
    // Worker. Records appended and not read yet.
    std::uint64_t unread() const {
        std::uint64_t appended = last_appended();
        return appended >= next_read_ ? appended + 1 - next_read_ : 0;
    }

  private:
    struct Segment {
        std::uint64_t first;
        std::uint64_t size;
    };
    std::filesystem::path segment_path(std::uint64_t first) const;
    void recover();
    bool open_segment_for_append(std::uint64_t first);
    std::vector<std::uint64_t> segment_firsts() const; // the segments on disk, unordered
    std::optional<std::uint64_t> segment_after(std::uint64_t first) const;
    bool open_reader_at(std::uint64_t sequence);
    bool reserve(std::uint64_t needed); // the append mapping covers `needed` bytes
    void close_append_segment();
    bool reread_at_position();
    // Worker: the oldest fully read segment holds nothing after `sequence`.
    bool oldest_finished_landed(std::uint64_t sequence) const;
    bool write_checkpoint(std::uint64_t sequence);
    void flush_checkpoint();

    const std::filesystem::path dir_;
    const JournalLimits limits_;

    // Broker thread.
    FileHandle append_fd_;
    std::uint64_t append_segment_size_ = 0;
    std::uint64_t next_sequence_ = 1;
    std::int64_t last_received_us_ = 0;
    char* mapped_ = nullptr; // the append segment, MAP_SHARED, its blocks allocated
    std::uint64_t mapped_bytes_ = 0;

    // Shared.
    std::atomic<std::uint64_t> last_appended_{0};
    std::atomic<std::uint64_t> bytes_{0};
    std::atomic<std::uint64_t> checkpoint_{0};
    std::atomic<std::uint64_t> append_segment_first_{0};
    std::atomic<bool> reader_waiting_{false};
    std::mutex doorbell_mutex_;
    std::condition_variable_any doorbell_;

    // Worker.
    FileHandle read_fd_;
    std::uint64_t read_segment_first_ = 0;
    std::uint64_t next_read_ = 1;
    std::string read_buffer_;
    std::size_t read_position_ = 0;
    std::deque<Segment> finished_;         // fully read segments, oldest first, not yet deleted
    std::uint64_t checkpoint_written_ = 0; // what the checkpoint file says
    std::chrono::steady_clock::time_point next_checkpoint_{};
};

std::uint32_t crc32(std::string_view bytes, std::uint32_t crc = 0);

} // namespace sarang::telemetry
