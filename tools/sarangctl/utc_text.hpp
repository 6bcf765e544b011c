#pragma once
// Times as sarangctl prints and records them: ISO 8601 in UTC to the second
// ("2026-12-06T18:00:00Z"), the form backup manifests and certificate dates use.
#include <chrono>
#include <string>

namespace sarang::ctl {

std::string utc_text(std::chrono::system_clock::time_point at);

} // namespace sarang::ctl
