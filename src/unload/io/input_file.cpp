#include "unload/io/input_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <sstream>
#include <vector>

#include "unload/core/error.hpp"
#include "unload/core/fingerprint.hpp"
#include "unload/io/toml_errors.hpp"

namespace unload::io::detail {

namespace fs = std::filesystem;

namespace {

// What a file that is not a regular file is, in words.
std::string_view kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

[[noreturn]] void cannot_read(const fs::path& file, std::string_view what, std::string_view why) {
  throw InputError(fmt::format("{}: cannot read the {}: {}", shown(file.string(), 200), what, why));
}

std::string_view reason(int error) {
  switch (error) {
    case ENOENT:
    case ENOTDIR:
      return "no such file";
    case EACCES:
      return "permission denied";
    case ENAMETOOLONG:
      return "the path is too long";
    case ELOOP:
      return "too many symbolic links";
    default:
      return std::strerror(error);
  }
}

// Closes a file descriptor when it goes out of scope.
struct Descriptor {
  int fd = -1;
  ~Descriptor() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::string shown(std::string_view text, std::size_t max) {
  if (text.size() <= max) return std::string(text);
  return std::string(text.substr(0, max)) + "...";
}

void check_input_file(const fs::path& file, std::string_view what) {
  if (file.empty()) cannot_read(file, what, "no file named");
  struct stat before {};
  if (::stat(file.c_str(), &before) != 0) cannot_read(file, what, reason(errno));
  if (!S_ISREG(before.st_mode)) {
    cannot_read(file, what, fmt::format("it is {}, not a regular file", kind_of(before.st_mode)));
  }
}

std::string read_input_file(const fs::path& file, std::string_view what, std::uintmax_t max_bytes) {
  // Look before opening: opening a FIFO for reading would wait for a writer, and opening a device
  // may do something. Then check the file actually opened (it may have been replaced).
  check_input_file(file, what);
  Descriptor d{::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC)};
  if (d.fd < 0) cannot_read(file, what, reason(errno));
  struct stat opened {};
  if (::fstat(d.fd, &opened) != 0) cannot_read(file, what, reason(errno));
  if (!S_ISREG(opened.st_mode)) {
    cannot_read(file, what, fmt::format("it is {}, not a regular file", kind_of(opened.st_mode)));
  }
  const auto too_large = [&](std::uintmax_t size) {
    cannot_read(file, what,
                fmt::format("it is {} bytes, and at most {} bytes ({} MiB) are read", size,
                            max_bytes, max_bytes >> 20));
  };
  if (static_cast<std::uintmax_t>(opened.st_size) > max_bytes) {
    too_large(static_cast<std::uintmax_t>(opened.st_size));
  }
  // Read at most one byte more than allowed: a file that grows while read is caught too.
  std::string text;
  text.resize(static_cast<std::size_t>(opened.st_size) + 1);
  std::size_t have = 0;
  for (;;) {
    if (have == text.size()) {
      if (have > max_bytes) too_large(have);
      text.resize(std::min<std::uintmax_t>(2 * have + 4096, max_bytes + 1));
    }
    const ssize_t n = ::read(d.fd, text.data() + have, text.size() - have);
    if (n < 0) {
      if (errno == EINTR) continue;
      cannot_read(file, what, reason(errno));
    }
    if (n == 0) break;
    have += static_cast<std::size_t>(n);
  }
  if (have > max_bytes) too_large(have);
  text.resize(have);
  return text;
}

void check_toml_shape(const fs::path& file, std::string_view text) {
  // A key's dotted parts are separated by dots outside strings, and a key never contains one of
  // = , [ ] { } or a line break. Counting the dots since the last of those therefore bounds every
  // key's parts from above; a value adds at most one (a float, a time).
  long line = 1;
  int dots = 0, nesting = 0;
  const std::size_t n = text.size();
  std::size_t i = 0;
  const auto at = [&](std::string_view s) { return text.compare(i, s.size(), s) == 0; };
  const auto fail = [&](std::string_view problem) {
    throw InputError(fmt::format("{}:{}: {} (docs/reliability.md)", file.string(), line, problem));
  };
  // Skips a multi-line string whose delimiter is `quote` x3 (escapes only in basic strings).
  const auto skip_multiline = [&](char quote) {
    i += 3;
    while (i < n) {
      if (text[i] == '\n') ++line;
      if (quote == '"' && text[i] == '\\' && i + 1 < n) {
        if (text[i + 1] == '\n') ++line;
        i += 2;
        continue;
      }
      if (text[i] == quote && text.compare(i, 3, std::string(3, quote)) == 0) {
        i += 3;
        // Up to two more quotes belong to the string ("""a"""" ends with a quote in it).
        for (int k = 0; k < 2 && i < n && text[i] == quote; ++k) ++i;
        return;
      }
      ++i;
    }
  };
  while (i < n) {
    const char c = text[i];
    if (c == '\n') {
      ++line;
      dots = 0;
      ++i;
    } else if (c == '#') {
      while (i < n && text[i] != '\n') ++i;
    } else if (at("\"\"\"")) {
      skip_multiline('"');
    } else if (at("'''")) {
      skip_multiline('\'');
    } else if (c == '"' || c == '\'') {
      // A one-line string ends at its quote (or, invalid, at the line's end).
      ++i;
      while (i < n && text[i] != c && text[i] != '\n') {
        i += (c == '"' && text[i] == '\\' && i + 1 < n && text[i + 1] != '\n') ? 2 : 1;
      }
      if (i < n && text[i] == c) ++i;
    } else {
      if (c == '.') {
        if (++dots >= kMaxKeyParts) {
          fail(fmt::format("a key with more than {} dotted parts", kMaxKeyParts));
        }
      } else if (c == '=' || c == ',') {
        dots = 0;
      } else if (c == '[' || c == '{') {
        dots = 0;
        if (++nesting > kMaxTomlNesting) {
          fail(fmt::format("arrays or inline tables nested more than {} deep", kMaxTomlNesting));
        }
      } else if (c == ']' || c == '}') {
        dots = 0;
        if (nesting > 0) --nesting;
      }
      ++i;
    }
  }
}

toml::table parse_toml_file(const fs::path& file, std::string_view what) {
  const std::string text = read_input_file(file, what);
  check_toml_shape(file, text);
  try {
    return toml::parse(text, file.string());
  } catch (const toml::parse_error& e) {
    throw InputError(
        fmt::format("{}: not valid TOML: {}", location(file, e.source()), e.description()));
  }
}

namespace {

void add_value(Fingerprint& f, const toml::node& node) {
  if (const auto* t = node.as_table()) {
    f.add(std::string_view("{"));
    for (const auto& [key, value] : *t) {
      if (key.str() == "source" && value.is_string()) continue;
      f.add(key.str());
      add_value(f, value);
    }
    f.add(std::string_view("}"));
  } else if (const auto* a = node.as_array()) {
    f.add(std::string_view("["));
    for (const auto& value : *a) add_value(f, value);
    f.add(std::string_view("]"));
  } else if (const auto* s = node.as_string()) {
    f.add(std::string_view("s")).add(std::string_view(s->get()));
  } else if (const auto* i = node.as_integer()) {
    f.add(std::string_view("i")).add(static_cast<double>(i->get()));
  } else if (const auto* d = node.as_floating_point()) {
    f.add(std::string_view("f")).add(d->get());
  } else if (const auto* b = node.as_boolean()) {
    f.add(std::string_view(b->get() ? "true" : "false"));
  } else {
    // Dates and times: their TOML text.
    std::ostringstream text;
    node.visit([&text](const auto& v) { text << v; });
    f.add(std::string_view("t")).add(text.str());
  }
}

}  // namespace

std::uint64_t value_fingerprint(const toml::table& doc) {
  Fingerprint f;
  add_value(f, doc);
  return f.value();
}

namespace {

using nlohmann::json;

// Builds the document from SAX events (as nlohmann-json's own DOM parser does), refusing depth
// beyond the limit and numbers a double would not hold exactly, and keeping the key path for
// messages.
class LimitedBuilder {
 public:
  explicit LimitedBuilder(json& root) : root_(root) {}

  bool null() { return put(nullptr); }
  bool boolean(bool v) { return put(v); }
  bool number_integer(json::number_integer_t v) {
    if (v < -kExact || v > kExact) return inexact(std::to_string(v));
    return put(v);
  }
  bool number_unsigned(json::number_unsigned_t v) {
    if (v > static_cast<json::number_unsigned_t>(kExact)) return inexact(std::to_string(v));
    return put(v);
  }
  bool number_float(json::number_float_t v, const json::string_t& literal) {
    // An integer literal too large for 64 bits arrives as a float: refuse it like the others.
    if (literal.find_first_of(".eE") == std::string::npos) return inexact(literal);
    return put(v);
  }
  bool string(json::string_t& v) { return put(std::move(v)); }
  bool binary(json::binary_t& /*v*/) { return fail("binary values are not JSON"); }
  bool key(json::string_t& k) {
    key_ = std::move(k);
    // A key given twice would be read as its last value, silently: refused, as TOML refuses it.
    if (!stack_.empty() && stack_.back()->is_object() && stack_.back()->contains(key_)) {
      return fail("given twice in one object");
    }
    return true;
  }
  bool start_object(std::size_t /*size*/) { return open(json::object()); }
  bool start_array(std::size_t /*size*/) { return open(json::array()); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool parse_error(std::size_t /*position*/, const std::string& /*token*/,
                   const json::exception& e) {
    problem_ = fmt::format("not valid JSON: {}", e.what());
    return false;
  }

  const std::string& problem() const { return problem_; }

 private:
  static constexpr json::number_integer_t kExact = json::number_integer_t{1} << 53;

  // Where the next value goes, as a key path: a.b[2].c
  std::string path() const {
    std::string p;
    for (std::size_t k = 0; k < stack_.size(); ++k) {
      const bool last = k + 1 == stack_.size();
      if (stack_[k]->is_array()) {
        p += fmt::format("[{}]", last ? stack_[k]->size() : stack_[k]->size() - 1);
      } else {
        p += (p.empty() ? "" : ".") + (last ? key_ : keys_[k + 1]);
      }
    }
    return p;
  }

  bool fail(const std::string& problem) {
    problem_ = fmt::format("key '{}': {}", shown(path(), 200), problem);
    return false;
  }
  bool inexact(const std::string& literal) {
    return fail(fmt::format(
        "expected a number that a double holds exactly, got {} (an integer beyond +-2^53 = "
        "9007199254740992)",
        shown(literal, 40)));
  }

  // Puts a value where the next one goes; returns where it is.
  json* place(json v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    json& top = *stack_.back();
    if (top.is_array()) {
      top.push_back(std::move(v));
      return &top.back();
    }
    json& slot = top[key_];
    slot = std::move(v);
    return &slot;
  }
  template <class T>
  bool put(T&& v) {
    place(json(std::forward<T>(v)));
    return true;
  }
  bool open(json container) {
    if (static_cast<int>(stack_.size()) >= kMaxJsonDepth) {
      return fail(fmt::format("objects and arrays nested more than {} deep", kMaxJsonDepth));
    }
    keys_.push_back(key_);
    stack_.push_back(place(std::move(container)));
    return true;
  }
  bool close() {
    stack_.pop_back();
    key_ = keys_.back();
    keys_.pop_back();
    return true;
  }

  json& root_;
  std::vector<json*> stack_;       // open containers, outermost first
  std::vector<std::string> keys_;  // the key each open container has in its parent
  std::string key_;                // the key of the next value in the innermost object
  std::string problem_;
};

}  // namespace

json parse_json_text(const fs::path& file, std::string_view text) {
  json root;
  LimitedBuilder builder(root);
  bool ok = false;
  try {
    ok = json::sax_parse(text, &builder);
  } catch (const json::exception& e) {  // e.g. a number too large for a double (1e999)
    throw InputError(fmt::format("{}: not valid JSON: {}", file.string(), e.what()));
  }
  if (!ok) {
    throw InputError(fmt::format("{}: {}", file.string(),
                                 builder.problem().empty() ? "not valid JSON" : builder.problem()));
  }
  return root;
}

double json_number(const fs::path& file, const json& j, std::string_view key, double min,
                   double max, std::string_view expected) {
  if (j.is_number()) {
    const double v = j.get<double>();
    if (std::isfinite(v) && v >= min && v <= max) return v;
  }
  throw InputError(
      fmt::format("{}: key '{}': expected {}, got {}", file.string(), key, expected,
                  j.is_string() ? fmt::format("the string \"{}\"", shown(j.get<std::string>(), 60))
                                : shown(j.dump(), 60)));
}

}  // namespace unload::io::detail
