#include "bindings/bind_type.hpp"

namespace chatops::bindings {

const std::array<std::string_view, kBindTypeCount>& bind_type_names() {
  // Same order as the enum.
  static constexpr std::array<std::string_view, kBindTypeCount> names{
      "pub", "pubm", "msg", "msgm", "join", "part", "kick", "nick", "mode", "raw",
      "time", "cron",
      "webhook", "api", "file", "db", "stream", "log", "metric"};
  return names;
}

std::string_view to_string(BindType t) { return bind_type_names()[static_cast<std::size_t>(t)]; }

std::optional<BindType> parse_bind_type(std::string_view name) {
  const auto& names = bind_type_names();
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<BindType>(i);
  return std::nullopt;
}

bool is_ingestion_family(std::string_view family) {
  const auto type = parse_bind_type(family);
  return type && is_ingestion(*type);
}

}  // namespace chatops::bindings
