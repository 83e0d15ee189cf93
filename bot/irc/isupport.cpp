#include "bot/irc/isupport.hpp"

#include <charconv>

namespace chatops::irc {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// ISUPPORT values escape bytes as \xHH (e.g. "NETWORK=Example\x20Net"); anything else is literal.
std::string unescape_value(std::string_view v) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\' && i + 3 < v.size() && v[i + 1] == 'x') {
      const int hi = hex_digit(v[i + 2]), lo = hex_digit(v[i + 3]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 3;
        continue;
      }
    }
    out += v[i];
  }
  return out;
}

}  // namespace

void ISupport::apply(const Message& rpl_isupport) {
  const auto& p = rpl_isupport.params;
  for (std::size_t i = 1; i + 1 < p.size(); ++i) apply_token(p[i]);
}

void ISupport::apply_token(std::string_view token) {
  if (token.starts_with('-')) {
    if (const auto it = tokens_.find(token.substr(1)); it != tokens_.end()) tokens_.erase(it);
  } else if (const auto eq = token.find('='); eq == std::string_view::npos) {
    tokens_.insert_or_assign(std::string(token), std::string());
  } else {
    tokens_.insert_or_assign(std::string(token.substr(0, eq)), unescape_value(token.substr(eq + 1)));
  }
  update();
}

std::optional<std::string> ISupport::get(std::string_view key) const {
  const auto it = tokens_.find(key);
  if (it == tokens_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::size_t> ISupport::number(std::string_view key) const {
  const auto value = get(key);
  if (!value) return std::nullopt;
  std::size_t n = 0;
  const auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), n);
  if (ec != std::errc() || end != value->data() + value->size()) return std::nullopt;
  return n;
}

void ISupport::update() {
  const auto casemapping = get("CASEMAPPING");
  casemapping_ = casemapping ? text::parse_casemapping(*casemapping) : text::CaseMapping::Rfc1459;
  // "CHANTYPES" with no value means the server has no channels at all.
  chantypes_ = get("CHANTYPES").value_or("#&");
  network_ = get("NETWORK").value_or("");
  prefix_modes_ = "ov";
  prefix_symbols_ = "@+";
  if (const auto prefix = get("PREFIX")) {
    const auto close = prefix->find(')');
    if (prefix->empty()) {
      prefix_modes_.clear();
      prefix_symbols_.clear();
    } else if (prefix->front() == '(' && close != std::string::npos && prefix->size() - close - 1 == close - 1) {
      prefix_modes_ = prefix->substr(1, close - 1);
      prefix_symbols_ = prefix->substr(close + 1);
    }  // malformed: keep the defaults
  }
}

bool ISupport::is_channel(std::string_view name) const {
  return !name.empty() && chantypes_.find(name.front()) != std::string::npos;
}

}  // namespace chatops::irc
