#pragma once
// The benches' command line, one parser for all: flags (`--smoke`) and options with a value
// (`--repeat 5`, `--seconds 0.5`, `--connections 4,32`), each bound to a variable of the bench's
// options. An unknown argument, a missing or malformed value is refused, with the usage line.
//
//   bench::CommandLine options("file_bench");
//   options.flag("--smoke", o.smoke).value("--files", o.files, "N").value("--repeat", o.repeat, "R");
//   if (!options.parse(argc, argv)) return 2;
#include <charconv>
#include <cstdio>
#include <functional>
#include <sstream>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

namespace chatops::bench {

namespace detail {

template <class T>
struct is_vector : std::false_type {};
template <class T>
struct is_vector<std::vector<T>> : std::true_type {};

// A whole number, a floating-point number, or a comma-separated list of them; false when `text`
// is not one, entirely.
template <class T>
bool parse_value(const std::string& text, T& out) {
  if constexpr (is_vector<T>::value) {
    T items;
    std::stringstream list(text);
    for (std::string item; std::getline(list, item, ',');) {
      typename T::value_type value{};
      if (!parse_value(item, value)) return false;
      items.push_back(value);
    }
    if (items.empty()) return false;
    out = std::move(items);
    return true;
  } else {
    static_assert(std::is_arithmetic_v<T>, "bench options are numbers or lists of numbers");
    T value{};
    const auto* end = text.data() + text.size();
    const auto [at, error] = std::from_chars(text.data(), end, value);
    if (error != std::errc() || at != end || text.empty()) return false;
    out = value;
    return true;
  }
}

}  // namespace detail

class CommandLine {
 public:
  explicit CommandLine(std::string program) : program_(std::move(program)) {}

  CommandLine& flag(std::string name, bool& target) {
    options_.push_back({std::move(name), "", [&target](const std::string&) { return target = true; }});
    return *this;
  }

  // `meta` names the value in the usage line ("N", "S", "4,32").
  template <class T>
  CommandLine& value(std::string name, T& target, std::string meta) {
    options_.push_back({std::move(name), std::move(meta),
                        [&target](const std::string& text) { return detail::parse_value(text, target); }});
    return *this;
  }

  std::string usage() const {
    std::string line = "usage: " + program_;
    for (const auto& o : options_) line += " [" + o.name + (o.meta.empty() ? "" : " " + o.meta) + "]";
    return line;
  }

  // False, after saying why and the usage on stderr, when an argument is not understood.
  bool parse(int argc, char** argv) const {
    for (int i = 1; i < argc; ++i) {
      const std::string given = argv[i];
      const Option* option = nullptr;
      for (const auto& o : options_)
        if (o.name == given) option = &o;
      std::string error;
      if (!option) error = "unknown argument " + given;
      else if (!option->meta.empty() && i + 1 >= argc) error = given + " needs a value (" + option->meta + ")";
      else if (!option->set(option->meta.empty() ? "" : argv[++i]))
        error = given + " takes " + option->meta + ", not '" + argv[i] + "'";
      if (!error.empty()) {
        std::fprintf(stderr, "%s: %s\n%s\n", program_.c_str(), error.c_str(), usage().c_str());
        return false;
      }
    }
    return true;
  }

 private:
  struct Option {
    std::string name, meta;  // meta empty: a flag
    std::function<bool(const std::string&)> set;
  };
  std::string program_;
  std::vector<Option> options_;
};

}  // namespace chatops::bench
