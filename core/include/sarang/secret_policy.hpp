#pragma once
// What a human-chosen secret must look like: one password policy for every place a password is
// set (register, first setup, change, sarangctl), one PIN rule with two lengths.
#include <optional>
#include <string>
#include <string_view>

namespace sarang {

// nullopt when acceptable, otherwise a sentence saying which rule it breaks.
// Rules: 8-128 characters, at least 3 of 4 classes (lower, upper, digit, other), and not
// containing the username (case-insensitive).
std::optional<std::string> password_problem(std::string_view password, std::string_view username);

struct PinLength {
    std::size_t min;
    std::size_t max;
};
inline constexpr PinLength first_setup_pin{6, 6}; // the seed's first-setup rule
inline constexpr PinLength changed_pin{4, 8};     // the seed's change-pin rule

// Digits only, within the length, not one digit repeated and not a straight run (1234, 9876).
std::optional<std::string> pin_problem(std::string_view pin, PinLength length);

// A 20-character password that satisfies password_problem() for any username of 3+ characters
// it does not contain; for one-time admin passwords printed by sarangctl.
std::string generate_one_time_password();

// ^[A-Za-z0-9_.@-]{3,64}$, the users table's CHECK.
bool valid_username(std::string_view username);

} // namespace sarang
