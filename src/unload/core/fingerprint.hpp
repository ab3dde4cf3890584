// A 64-bit fingerprint (FNV-1a) of numbers and text, to tell whether two Models (or two States)
// were built from the same inputs. Not cryptographic: it detects accidents, not tampering.
#pragma once

#include <bit>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace unload {

// 16 lower-case hexadecimal digits, as fingerprints are written in files.
inline std::string to_hex16(std::uint64_t v) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 0; i < 16; ++i) s[15 - i] = digits[(v >> (4 * i)) & 0xf];
  return s;
}
// The number 16 hexadecimal digits (either case) spell, or nullopt.
inline std::optional<std::uint64_t> from_hex16(std::string_view text) {
  if (text.size() != 16) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : text) {
    int d = -1;
    if (c >= '0' && c <= '9') d = c - '0';
    if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    if (d < 0) return std::nullopt;
    v = v * 16 + static_cast<std::uint64_t>(d);
  }
  return v;
}

class Fingerprint {
 public:
  Fingerprint& add(std::string_view text) {
    for (unsigned char c : text) byte(c);
    byte(0);  // separator: ("ab","c") differs from ("a","bc")
    return *this;
  }
  Fingerprint& add(double v) {
    // +0 and -0 are the same value; every NaN is the same "no value".
    if (v == 0.0) v = 0.0;
    const std::uint64_t bits = v != v ? 0x7ff8000000000000ULL : std::bit_cast<std::uint64_t>(v);
    return add_bits(bits);
  }
  Fingerprint& add(std::uint64_t n) { return add_bits(n); }
  std::uint64_t value() const { return h_; }
  // 16 hexadecimal digits.
  std::string hex() const { return to_hex16(h_); }

 private:
  Fingerprint& add_bits(std::uint64_t bits) {
    for (int i = 0; i < 8; ++i) byte(static_cast<unsigned char>(bits >> (8 * i)));
    return *this;
  }
  void byte(unsigned char c) {
    h_ ^= c;
    h_ *= 0x100000001b3ULL;
  }
  std::uint64_t h_ = 0xcbf29ce484222325ULL;
};

}  // namespace unload
