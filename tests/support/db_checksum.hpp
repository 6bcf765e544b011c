#pragma once
// "Nothing changed in the database": one md5 per table of the public schema, over all its rows
// in a fixed order. Tests take one before and one after a batch of refused requests or messages
// and compare them.
#include <map>
#include <string>
#include <vector>

namespace sarang::test {

// A table (or some of its columns) that changes by design even when a request is refused; the
// reason is printed with every comparison so an exception is never silent.
struct ChecksumException {
    std::string table;
    std::vector<std::string> columns; // empty: the whole table is left out
    std::string reason;
};

using TableChecksums = std::map<std::string, std::string>; // table -> md5

TableChecksums table_checksums(const std::vector<ChecksumException>& exceptions = {});

// The tables whose checksum differs (or that appeared or vanished); empty when nothing changed.
std::vector<std::string> changed_tables(const TableChecksums& before, const TableChecksums& after);

// Prints the exceptions and their reasons once, for the test log.
void print_exceptions(const std::vector<ChecksumException>& exceptions);

} // namespace sarang::test
