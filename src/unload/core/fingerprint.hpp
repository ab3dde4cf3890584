// A 64-bit fingerprint (FNV-1a) of numbers and text, to tell whether two Models (or two States)
// were built from the same inputs. Not cryptographic: it detects accidents, not tampering.
#pragma once

#include <bit>
#include <cstdint>
#include <string>
#include <string_view>

namespace unload {

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
  std::string hex() const {
    static constexpr char digits[] = "0123456789abcdef";
    std::string s(16, '0');
    for (int i = 0; i < 16; ++i) s[15 - i] = digits[(h_ >> (4 * i)) & 0xf];
    return s;
  }

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
