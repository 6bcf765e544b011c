#include "sarang/secret_policy.hpp"

#include "sarang/crypto.hpp"

#include <algorithm>
#include <cctype>

namespace sarang {
namespace {

std::string lowered(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

} // namespace

std::optional<std::string> password_problem(std::string_view password, std::string_view username) {
    if (password.size() < 8)
        return "must be at least 8 characters long";
    if (password.size() > 128)
        return "must be at most 128 characters long";
    bool lower = false, upper = false, digit = false, other = false;
    for (unsigned char c : password) {
        if (std::islower(c))
            lower = true;
        else if (std::isupper(c))
            upper = true;
        else if (std::isdigit(c))
            digit = true;
        else
            other = true;
    }
    if (lower + upper + digit + other < 3)
        return "must use at least 3 of: lowercase letters, uppercase letters, digits, other "
               "characters";
    if (!username.empty() && lowered(password).find(lowered(username)) != std::string::npos)
        return "must not contain the username";
    return std::nullopt;
}

std::optional<std::string> pin_problem(std::string_view pin, PinLength length) {
    if (pin.size() < length.min || pin.size() > length.max ||
        !std::all_of(pin.begin(), pin.end(), [](unsigned char c) { return std::isdigit(c); })) {
        if (length.min == length.max)
            return "must be exactly " + std::to_string(length.min) + " digits";
        return "must be " + std::to_string(length.min) + " to " + std::to_string(length.max) +
               " digits";
    }
    bool same = true, ascending = true, descending = true;
    for (std::size_t i = 1; i < pin.size(); ++i) {
        int step = pin[i] - pin[i - 1];
        same = same && step == 0;
        ascending = ascending && step == 1;
        descending = descending && step == -1;
    }
    if (same)
        return "must not be one digit repeated";
    if (ascending || descending)
        return "must not be a straight run of digits";
    return std::nullopt;
}

std::string generate_one_time_password() {
    // No look-alikes (0/O, 1/l/I) so it can be typed from a terminal without mistakes.
    constexpr std::string_view classes[] = {"abcdefghijkmnopqrstuvwxyz", "ABCDEFGHJKLMNPQRSTUVWXYZ",
                                            "23456789", "-_.!@#%+="};
    constexpr std::size_t length = 20;
    std::vector<std::uint8_t> noise = crypto::random_bytes(length * 2);
    std::string out;
    for (std::size_t i = 0; i < length; ++i) {
        // The first four characters cover every class; the rest draw from all of them.
        std::string_view pool = classes[i < 4 ? i : noise[i] % 4];
        out += pool[noise[length + i] % pool.size()];
    }
    // Shuffle so the classes are not always at the front (Fisher-Yates with fresh bytes).
    std::vector<std::uint8_t> swaps = crypto::random_bytes(length);
    for (std::size_t i = length - 1; i > 0; --i)
        std::swap(out[i], out[swaps[i] % (i + 1)]);
    return out;
}

bool valid_username(std::string_view username) {
    if (username.size() < 3 || username.size() > 64)
        return false;
    return std::all_of(username.begin(), username.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '.' || c == '@' || c == '-';
    });
}

} // namespace sarang
