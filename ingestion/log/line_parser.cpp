#include "ingestion/log/line_parser.hpp"

#include "ingestion/log/syslog.hpp"
#include "ingestion/payload/json.hpp"

namespace chatops::ingestion::log {

namespace {

constexpr payload::MappingKeys kJsonMappingKeys{.headers = false, .topic_required = false};

const char* default_template(Format f) {
  switch (f) {
    case Format::Syslog:
      return "[{{_event.source}}] {{#host}}{{host}} {{/host}}{{#app}}{{app}}: {{/app}}{{message}}";
    default:
      return "[{{_event.source}}] {{line}}";
  }
}

}  // namespace

Result<LineParser> LineParser::from_config(const config::Node& v) {
  LineParser p;
  const auto format = v.str("format");
  p.format_ = format == "syslog" ? Format::Syslog
              : format == "json" ? Format::Json
              : format == "regex" ? Format::Regex
                                  : Format::Plain;
  if (p.format_ == Format::Regex) {
    if (!v.has("pattern")) return std::unexpected(v["format"].error("format: regex needs a pattern"));
    RE2::Options options;
    options.set_log_errors(false);
    auto re = std::make_shared<RE2>(v.str("pattern"), options);
    if (!re->ok()) return std::unexpected(v["pattern"].error("not a valid RE2 pattern: " + re->error()));
    if (re->NumberOfCapturingGroups() == 0 || re->NamedCapturingGroups().empty())
      return std::unexpected(v["pattern"].error("give the fields as named groups, e.g. (?P<level>\\w+)"));
    p.pattern_ = std::move(re);
  } else if (v.has("pattern")) {
    return std::unexpected(v["pattern"].error("goes with format: regex"));
  }
  if (p.format_ == Format::Json) {
    auto mapping = payload::Mapping::from_config(v.map("json"), kJsonMappingKeys);
    if (!mapping) return std::unexpected(mapping.error());
    p.mapping_ = std::move(*mapping);
  }
  p.template_ = v.has("template")                                 ? v.str("template")
                : p.mapping_ && !p.mapping_->default_template().empty() ? p.mapping_->default_template()
                                                                        : default_template(p.format_);
  return p;
}

std::expected<IngestionEvent, std::string> LineParser::event(const Line& line, const std::string& topic) const {
  IngestionEvent e;
  e.topic = topic;
  switch (format_) {
    case Format::Plain:
      break;
    case Format::Syslog: {
      auto parsed = parse_syslog(line.text);
      if (!parsed) return std::unexpected("not syslog: " + parsed.error());
      e.fields = std::move(parsed->fields);
      e.severity = parsed->severity;
      break;
    }
    case Format::Json: {
      auto doc = payload::parse_json(line.text);
      if (!doc) return std::unexpected("not JSON: " + doc.error());
      if (!doc->root().is_object()) return std::unexpected(std::string("not a JSON object"));
      auto mapped = mapping_->map(doc->root(), {}, topic, nullptr, payload::FieldsForm::Object);
      if (!mapped) return std::unexpected(mapped.error().reason);
      e = std::move(*mapped);
      e.raw = line.text;
      break;
    }
    case Format::Regex: {
      const int groups = pattern_->NumberOfCapturingGroups();
      std::vector<re2::StringPiece> values(static_cast<std::size_t>(groups));
      std::vector<RE2::Arg> args(values.size());
      std::vector<const RE2::Arg*> arg_ptrs(values.size());
      for (std::size_t i = 0; i < values.size(); ++i) {
        args[i] = &values[i];
        arg_ptrs[i] = &args[i];
      }
      if (!RE2::PartialMatchN(line.text, *pattern_, arg_ptrs.data(), groups))
        return std::unexpected(std::string("does not match the pattern"));
      for (const auto& [name, index] : pattern_->NamedCapturingGroups())
        e.fields[name] = values[static_cast<std::size_t>(index - 1)].as_string();
      for (const char* key : {"severity", "level"})
        if (e.fields.contains(key)) e.severity = severity_from_string(payload::ascii_lower(e.fields[key].get<std::string>()));
      break;
    }
  }
  e.fields["line"] = line.text;
  if (!line.transport.empty()) {
    e.fields["peer"] = line.path;
    e.fields["transport"] = line.transport;
  } else if (!e.fields.contains("file")) {
    e.fields["file"] = line.path;
  }
  if (line.cut) e.fields["cut"] = true;
  e.default_template = template_;
  return e;
}

}  // namespace chatops::ingestion::log
