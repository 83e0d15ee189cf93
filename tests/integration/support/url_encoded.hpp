// RFC 3986 percent-encoding, for the query strings tests send to servers (PromQL, InfluxQL).
#pragma once

#include <cctype>
#include <string>

namespace chatops::test {

inline std::string url_encoded(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace chatops::test
