#include "bot/irc/hostname.hpp"

namespace chatops::irc {
namespace {

bool valid_label(std::string_view label) {
  if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
  for (const char c : label) {
    const bool ldh = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ldh) return false;
  }
  return true;
}

}  // namespace

bool valid_hostname(std::string_view host) {
  if (host.find('.') == std::string_view::npos) return false;
  if (host.ends_with('.')) host.remove_suffix(1);  // the fully-qualified form
  if (host.size() > 253) return false;
  while (true) {
    const auto dot = host.find('.');
    if (!valid_label(host.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    host.remove_prefix(dot + 1);
  }
}

}  // namespace chatops::irc
