#include "journal.hpp"
#include "sarang/worker.hpp"

#include <fcntl.h>
#include <memory>
#include <thread>
#include <vector>

#include <cstdlib>
#include <fstream>
#include <unistd.h>

// Last: cmocka defines macros (fail, ...) that clash with standard headers.
#include "cmocka.hpp"

using namespace sarang;
using namespace sarang::telemetry;
namespace fs = std::filesystem;

namespace {

struct Folder {
    fs::path path;
    Folder() {
        char pattern[] = "/tmp/sarang-journal-XXXXXX";
        path = ::mkdtemp(pattern);
    }
    ~Folder() { fs::remove_all(path); }
    std::size_t segments() const {
        std::size_t count = 0;
        for (const auto& entry : fs::directory_iterator(path))
            count += entry.path().extension() == ".seg";
        return count;
    }
};

const TimePoint t0{std::chrono::seconds(1795425090)};

void append_n(Journal& journal, int from, int count) {
    for (int i = from; i < from + count; ++i) {
        std::string payload = "{\"n\":" + std::to_string(i) + "}";
        assert_int_equal(
            static_cast<int>(journal.append("pi-1", "hydro/pi-1/reading", payload, t0)),
            static_cast<int>(Journal::Append::stored));
    }
}

void records_come_back_in_order_with_strictly_growing_times(void**) {
    Folder folder;
    Journal journal(folder.path, {});
    append_n(journal, 0, 3);
    std::vector<RawMessage> read = journal.read(10);
    assert_int_equal(read.size(), 3);
    for (int i = 0; i < 3; ++i) {
        assert_int_equal(read[i].sequence, i + 1);
        assert_text_equal(read[i].device_id, "pi-1");
        assert_text_equal(read[i].topic, "hydro/pi-1/reading");
        assert_text_equal(read[i].payload, "{\"n\":" + std::to_string(i) + "}");
    }
    // The same wall-clock time for all three: each gets its own microsecond.
    assert_true(read[0].received_at == t0);
    assert_true(read[1].received_at == t0 + std::chrono::microseconds(1));
    assert_true(read[2].received_at == t0 + std::chrono::microseconds(2));
    assert_true(journal.read(10).empty());
    append_n(journal, 3, 1);
    assert_int_equal(journal.read(10).size(), 1);
}

void a_restart_replays_everything_after_the_checkpoint(void**) {
    Folder folder;
    {
        Journal journal(folder.path, {});
        append_n(journal, 0, 10);
        std::vector<RawMessage> first = journal.read(4);
        assert_int_equal(first.size(), 4);
        journal.landed(first.back().sequence);
        assert_int_equal(journal.read(100).size(), 6); // read but never landed: "crash"
    }
    Journal reopened(folder.path, {});
    assert_int_equal(reopened.last_landed(), 4);
    std::vector<RawMessage> replay = reopened.read(100);
    assert_int_equal(replay.size(), 6);
    assert_int_equal(replay.front().sequence, 5);
    assert_text_equal(replay.front().payload, "{\"n\":4}");
    // Numbering continues after the replayed records.
    append_n(reopened, 10, 1);
    std::vector<RawMessage> next = reopened.read(100);
    assert_int_equal(next.size(), 1);
    assert_int_equal(next.front().sequence, 11);
}

void a_torn_tail_is_cut_off_and_the_rest_survives(void**) {
    Folder folder;
    {
        Journal journal(folder.path, {});
        append_n(journal, 0, 3);
    }
    fs::path segment;
    for (const auto& entry : fs::directory_iterator(folder.path))
        if (entry.path().extension() == ".seg")
            segment = entry.path();
    // Half of a fourth record, as a power loss would leave it.
    std::uintmax_t size = fs::file_size(segment);
    {
        std::ofstream out(segment, std::ios::binary | std::ios::app);
        std::string garbage(20, '\x53');
        out << garbage;
    }
    assert_int_equal(fs::file_size(segment), size + 20);
    Journal reopened(folder.path, {});
    assert_int_equal(fs::file_size(segment), size);
    assert_int_equal(reopened.read(100).size(), 3);
    append_n(reopened, 3, 1);
    std::vector<RawMessage> after = reopened.read(100);
    assert_int_equal(after.size(), 1);
    assert_int_equal(after.front().sequence, 4);
}

void segments_roll_over_and_are_deleted_once_landed(void**) {
    Folder folder;
    Journal journal(folder.path, {.segment_bytes = 1000, .max_bytes = 1 << 20});
    append_n(journal, 0, 100); // ~70 bytes each: several segments
    assert_true(folder.segments() > 3);
    std::uint64_t bytes_before = journal.bytes();
    std::vector<RawMessage> all = journal.read(1000);
    assert_int_equal(all.size(), 100);
    for (std::size_t i = 0; i < all.size(); ++i)
        assert_int_equal(all[i].sequence, i + 1);
    journal.landed(all.back().sequence);
    assert_int_equal(folder.segments(), 1); // the one still being written
    assert_true(journal.bytes() < bytes_before);
    assert_true(journal.bytes() <= 1000);
}

void a_full_journal_refuses_and_accepts_again_after_landing(void**) {
    Folder folder;
    Journal journal(folder.path, {.segment_bytes = 512, .max_bytes = 2048});
    int stored = 0;
    while (journal.append("pi-1", "hydro/pi-1/reading", "{\"ph\":7}", t0) ==
           Journal::Append::stored)
        ++stored;
    assert_true(stored > 10);
    assert_int_equal(static_cast<int>(journal.append("pi-1", "t", "x", t0)),
                     static_cast<int>(Journal::Append::full));
    std::vector<RawMessage> all = journal.read(1000);
    assert_int_equal(all.size(), stored);
    journal.landed(all.back().sequence);
    assert_int_equal(static_cast<int>(journal.append("pi-1", "hydro/pi-1/reading", "{}", t0)),
                     static_cast<int>(Journal::Append::stored));
}

// A short write (a full disk) leaves a torn record inside a segment, and the broker goes on in a
// new segment named after the next number. The reader skips the gap instead of reopening the
// torn segment forever (found while writing fuzz/journal_segment_fuzz.cpp).
void a_torn_record_inside_an_older_segment_is_skipped(void**) {
    Folder folder, other;
    {
        Journal journal(folder.path, {});
        append_n(journal, 1, 4); // records 1-4 in segment 1
    }
    std::ofstream(folder.path / "00000000000000000001.seg", std::ios::app | std::ios::binary)
        << std::string("SRJ1 torn half of record 5", 20);
    {
        // One record per segment: the sixth lands in segment 6, as after the torn write.
        Journal journal(other.path, {.segment_bytes = 1, .max_bytes = 1 << 20});
        append_n(journal, 1, 6);
    }
    fs::copy_file(other.path / "00000000000000000006.seg",
                  folder.path / "00000000000000000006.seg");
    Journal journal(folder.path, {});
    std::vector<RawMessage> read = journal.read(100);
    assert_int_equal(read.size(), 5);
    for (std::size_t i = 0; i < 4; ++i)
        assert_int_equal(read[i].sequence, i + 1);
    assert_int_equal(read[4].sequence, 6);
    assert_string_equal(read[4].payload.c_str(), "{\"n\":6}");
    assert_true(journal.read(100).empty());
}

// Issue #21 item 4: the writer reads the journal in an fd table of its own (FileTable::own)
// while the Journal is destroyed on the broker thread. The reader's descriptor is closed by
// the reader's thread (close_reader, from the writer's scope guard); the destructor used to
// close that number in the broker's table, where it is some other descriptor (a client socket).
void the_reader_closes_its_descriptor_in_its_own_fd_table(void**) {
    Folder folder;
    auto journal = std::make_unique<Journal>(folder.path, JournalLimits{});
    append_n(*journal, 0, 2);
    // A descriptor of the destroying ("broker") thread that is not the journal's: the number
    // the reader's segment will get in the reader's own table.
    int others = ::open("/dev/null", O_RDONLY);
    assert_true(others >= 3);
    std::size_t read = 0;
    bool reader_got_that_number = false;
    {
        Worker reader(
            "test-reader",
            [&](std::stop_token) {
                // Fill the lower numbers so that the segment's descriptor gets `others`.
                std::vector<int> fillers;
                for (int fd = ::open("/dev/null", O_RDONLY); fd >= 0 && fd != others;
                     fd = ::open("/dev/null", O_RDONLY))
                    fillers.push_back(fd);
                ::close(others); // only the copy in this table
                read = journal->read(10).size();
                reader_got_that_number = ::fcntl(others, F_GETFD) != -1;
                for (int fd : fillers)
                    ::close(fd);
                journal->close_reader();
            },
            FileTable::own);
    } // joined
    assert_int_equal(read, 2);
    assert_true(reader_got_that_number);
    journal.reset(); // plugin cleanup, on the broker thread
    assert_int_not_equal(::fcntl(others, F_GETFD), -1);
    ::close(others);
}

// The broker stores records into a shared mapping of a preallocated segment: past its last
// record a live segment reads as zeros (or half a record). A reader that keeps pace with the
// appends, across its read size and across segments, gets every record once, whole, in order.
void a_reader_keeping_pace_with_appends_gets_every_record_whole(void**) {
    Folder folder;
    Journal journal(folder.path, {.segment_bytes = 300 << 10, .max_bytes = 1 << 30});
    std::uint64_t expected = 1;
    for (int round = 0; round < 400; ++round) {
        append_n(journal, round * 13, 13); // ~65 bytes each: read chunks end mid-record
        for (std::vector<RawMessage> batch; !(batch = journal.read(7)).empty();)
            for (const RawMessage& message : batch) {
                assert_int_equal(message.sequence, expected);
                assert_text_equal(message.payload, "{\"n\":" + std::to_string(expected - 1) + "}");
                ++expected;
            }
    }
    assert_int_equal(expected, 400 * 13 + 1);
    assert_true(folder.segments() > 1);
}

// The same with the reader on its own thread while the broker thread appends: a record is
// read only once it is whole, however the two interleave.
void a_concurrent_reader_never_sees_half_a_record(void**) {
    Folder folder;
    Journal journal(folder.path, {.segment_bytes = 256 << 10, .max_bytes = 1 << 30});
    constexpr int total = 30000;
    std::uint64_t expected = 1;
    bool in_order = true;
    {
        Worker reader("test-reader", [&](std::stop_token stop) {
            while (expected <= total && !stop.stop_requested()) {
                for (const RawMessage& message : journal.read(500)) {
                    in_order = in_order && message.sequence == expected &&
                               message.payload == "{\"n\":" + std::to_string(expected - 1) + "}";
                    ++expected;
                }
                journal.landed(expected - 1);
            }
            journal.close_reader();
        });
        append_n(journal, 0, total);
        for (int i = 0; i < 1000 && expected <= total; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    assert_true(in_order);
    assert_int_equal(expected, total + 1);
}

// A crash leaves the live segment with its preallocated zeros: the next start cuts them off
// and goes on after the last record. A clean close leaves only the records.
void a_segment_ends_at_its_last_record_after_a_close_or_a_crash(void**) {
    Folder folder, crashed;
    fs::path segment = folder.path / "00000000000000000001.seg";
    {
        Journal journal(folder.path, {});
        append_n(journal, 0, 5);
        assert_true(fs::file_size(segment) >= 4096); // preallocated
        for (const auto& entry : fs::directory_iterator(folder.path))
            fs::copy_file(entry.path(), crashed.path / entry.path().filename());
    }
    std::uintmax_t records = fs::file_size(segment);
    assert_true(records > 5 * 36 && records < 4096);
    Journal reopened(crashed.path, {});
    assert_int_equal(fs::file_size(crashed.path / "00000000000000000001.seg"), records);
    append_n(reopened, 5, 1);
    std::vector<RawMessage> all = reopened.read(100);
    assert_int_equal(all.size(), 6);
    assert_int_equal(all.back().sequence, 6);
    assert_text_equal(all.back().payload, "{\"n\":5}");
}

void crc32_matches_the_standard_check_value(void**) {
    assert_int_equal(crc32("123456789"), 0xCBF43926u);
}

// The eight-bytes-a-step CRC against the plain definition, at every length and alignment
// around its step, and continued over pieces.
void crc32_agrees_with_the_bitwise_definition(void**) {
    auto reference = [](std::string_view bytes) {
        std::uint32_t crc = ~0u;
        for (unsigned char byte : bytes) {
            crc ^= byte;
            for (int k = 0; k < 8; ++k)
                crc = (crc & 1) ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    };
    std::string data;
    for (int i = 0; i < 300; ++i)
        data.push_back(static_cast<char>((i * 131 + 7) & 0xFF));
    for (std::size_t offset = 0; offset < 9; ++offset)
        for (std::size_t length = 0; length + offset <= 100; ++length) {
            std::string_view piece(data.data() + offset, length);
            assert_int_equal(crc32(piece), reference(piece));
        }
    std::string_view all(data);
    assert_int_equal(crc32(all.substr(37), crc32(all.substr(0, 37))), reference(all));
}

std::uint64_t checkpoint_file(const fs::path& folder) {
    unsigned long long value = 0;
    std::ifstream(folder / "checkpoint") >> value;
    return value;
}

// The checkpoint file is rewritten at most once a checkpoint_interval (a new file and a rename
// per landed batch cost the writer more than the landing's own work at moderate rates), and
// what landed since is written when the journal closes.
void the_checkpoint_file_is_written_at_most_once_an_interval_and_at_close(void**) {
    Folder folder;
    {
        Journal journal(folder.path, {.checkpoint_interval = std::chrono::hours(1)});
        append_n(journal, 0, 10);
        std::vector<RawMessage> read = journal.read(4);
        journal.landed(read.back().sequence); // the first one is written at once
        assert_int_equal(checkpoint_file(folder.path), 4);
        read = journal.read(4);
        journal.landed(read.back().sequence);
        assert_int_equal(journal.last_landed(), 8);
        assert_int_equal(checkpoint_file(folder.path), 4); // not due yet
    }
    assert_int_equal(checkpoint_file(folder.path), 8); // written as the journal closed
    Journal reopened(folder.path, {});
    assert_int_equal(reopened.last_landed(), 8);
    assert_int_equal(reopened.read(100).size(), 2);
}

// A crash before the next checkpoint re-lands what landed since the last one (the database
// deduplicates), and never skips anything: the file only ever names landed records.
void a_crash_between_checkpoints_replays_from_the_last_one_written(void**) {
    Folder folder, copy;
    Journal journal(folder.path, {.checkpoint_interval = std::chrono::hours(1)});
    append_n(journal, 0, 10);
    journal.landed(journal.read(3).back().sequence);
    journal.landed(journal.read(4).back().sequence);
    // What a SIGKILL leaves on disk: copied while the journal is still open.
    for (const auto& entry : fs::directory_iterator(folder.path))
        fs::copy_file(entry.path(), copy.path / entry.path().filename());
    Journal reopened(copy.path, {});
    assert_int_equal(reopened.last_landed(), 3);
    std::vector<RawMessage> replay = reopened.read(100);
    assert_int_equal(replay.size(), 7);
    assert_int_equal(replay.front().sequence, 4);
}

// A landed segment is deleted only after a checkpoint past it is on disk, whatever the interval.
void a_landed_segment_goes_only_with_a_checkpoint_past_it(void**) {
    Folder folder;
    Journal journal(folder.path, {.segment_bytes = 1000,
                                  .max_bytes = 1 << 20,
                                  .checkpoint_interval = std::chrono::hours(1)});
    append_n(journal, 0, 5);
    journal.landed(journal.read(2).back().sequence); // written: the first
    append_n(journal, 5, 100);
    assert_true(folder.segments() > 3);
    std::vector<RawMessage> all = journal.read(1000);
    journal.landed(all.back().sequence);
    assert_int_equal(folder.segments(), 1);
    assert_int_equal(checkpoint_file(folder.path), all.back().sequence);
}

// The worker, woken by the first record after the journal ran dry, lets more arrive for
// `gather` before it reads; a stop request cuts that short.
void the_worker_gathers_records_after_the_first_and_stops_at_once(void**) {
    Folder folder;
    Journal journal(folder.path, {.gather = std::chrono::milliseconds(150)});
    append_n(journal, 0, 1);
    std::stop_source never;
    auto started = std::chrono::steady_clock::now();
    journal.wait_for_data(std::chrono::seconds(5), never.get_token());
    assert_true(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(150));

    journal.read(10);
    std::stop_source stop;
    stop.request_stop();
    append_n(journal, 1, 1);
    started = std::chrono::steady_clock::now();
    journal.wait_for_data(std::chrono::seconds(5), stop.get_token());
    assert_true(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
}

} // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(records_come_back_in_order_with_strictly_growing_times),
        cmocka_unit_test(a_restart_replays_everything_after_the_checkpoint),
        cmocka_unit_test(a_torn_tail_is_cut_off_and_the_rest_survives),
        cmocka_unit_test(segments_roll_over_and_are_deleted_once_landed),
        cmocka_unit_test(a_full_journal_refuses_and_accepts_again_after_landing),
        cmocka_unit_test(a_torn_record_inside_an_older_segment_is_skipped),
        cmocka_unit_test(the_reader_closes_its_descriptor_in_its_own_fd_table),
        cmocka_unit_test(a_reader_keeping_pace_with_appends_gets_every_record_whole),
        cmocka_unit_test(a_concurrent_reader_never_sees_half_a_record),
        cmocka_unit_test(a_segment_ends_at_its_last_record_after_a_close_or_a_crash),
        cmocka_unit_test(crc32_matches_the_standard_check_value),
        cmocka_unit_test(crc32_agrees_with_the_bitwise_definition),
        cmocka_unit_test(the_checkpoint_file_is_written_at_most_once_an_interval_and_at_close),
        cmocka_unit_test(a_crash_between_checkpoints_replays_from_the_last_one_written),
        cmocka_unit_test(a_landed_segment_goes_only_with_a_checkpoint_past_it),
        cmocka_unit_test(the_worker_gathers_records_after_the_first_and_stops_at_once),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
