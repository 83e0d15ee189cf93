// `kind: file`: its configuration keys, their validation, and the kind's registration.
#include "ingestion/file/file_source.hpp"

namespace chatops::ingestion::file {

namespace {

Result<std::vector<PathGlob>> globs_of(const config::Node& v) {
  std::vector<PathGlob> out;
  for (const auto& item : v.list("paths")) {
    auto g = PathGlob::compile(item.scalar());
    if (!g) return std::unexpected(item.error(g.error().message));
    out.push_back(std::move(*g));
  }
  if (out.empty()) return std::unexpected(v["paths"].error("give at least one path or pattern"));
  return out;
}

}  // namespace

config::Schema file_source_schema() {
  config::Schema s("file", "");
  s.field("paths", config::Kind::List,
          "The files to watch: paths or glob patterns (`*`, `?`, `[…]` within a directory; `**` as a whole "
          "component for any depth of directories, new ones followed). Wildcards do not match a leading dot.")
      .items(config::Kind::String)
      .required()
      .example("[\"/srv/deploy/**/*.json\", /etc/app/settings.yaml]");
  s.field("format", config::Kind::String,
          "How a file's content is read: auto (by extension: .json, .yaml/.yml, .csv, .xml; plain text otherwise), "
          "or json, yaml, csv (a header row), xml, text for every file.")
      .fallback("auto")
      .one_of({"auto", "json", "yaml", "csv", "xml", "text"});
  s.field("csv_events", config::Kind::String,
          "CSV files: one event per row (`row`: its fields are the row's, with row and rows) or one per file "
          "(`file`: content is the list of rows).")
      .fallback("row")
      .one_of({"row", "file"});
  s.field("csv_delimiter", config::Kind::String, "CSV files: the field delimiter, one character.").fallback("','");
  s.field("initial_scan", config::Kind::Boolean,
          "On the source's very first start, announce the files already there as created (else they are only "
          "noted, and announced when they change). Later starts always announce what changed while the bot was "
          "down.")
      .fallback("false");
  s.field("settle", config::Kind::Duration,
          "A file is read once its writer closed it, or once its size and time have not changed for this long "
          "(a writer that keeps it open, a copy over the network).")
      .fallback("1s")
      .range(0, 3600);
  s.field("rescan_interval", config::Kind::Duration,
          "How often the patterns are expanded again without an inotify event: what inotify missed (an overflowed "
          "queue, directories beyond the watch limit, network file systems) is found then.")
      .fallback("10s")
      .range(0.05, 86400);
  s.field("max_file_size", config::Kind::Size,
          "Larger files are not read: their change is an error event (file/<source>/error) saying their size.")
      .fallback("10MiB")
      .range(1, 1024.0 * 1024 * 1024);
  s.field("max_files", config::Kind::Integer,
          "At most this many files are watched (the first found); beyond, a warning and the source's "
          "status say so.")
      .fallback("100000")
      .range(1, 10000000);
  s.field("max_directories", config::Kind::Integer,
          "At most this many directories are walked and watched with inotify (each takes one of the user's "
          "inotify watches, fs.inotify.max_user_watches).")
      .fallback("8192")
      .range(1, 1000000);
  s.field("max_values", config::Kind::Integer,
          "A file holding more values (JSON/YAML values, XML elements and attributes, CSV fields) is refused with "
          "an error event; YAML aliases count each time they are used.")
      .fallback("100000")
      .range(1, 100000000);
  s.field("batch_events", config::Kind::Integer,
          "At most this many events per journal transaction (a file's events are never split).")
      .fallback("500")
      .range(1, 100000);
  payload::add_mapping_fields(s, {.headers = false, .topic_required = false});
  return common_source_schema().merged(s, "file");
}

Result<config::Node> validate_file_source(const config::Node& raw) {
  auto v = config::validate(file_source_schema(), raw);
  if (!v) return v;
  if (auto globs = globs_of(*v); !globs) return std::unexpected(globs.error());
  if (v->str("csv_delimiter").size() != 1)
    return std::unexpected((*v)["csv_delimiter"].error("give one character, e.g. ';'"));
  if (auto mapping = payload::Mapping::from_config(*v, {.headers = false, .topic_required = false}); !mapping)
    return std::unexpected(mapping.error());
  return v;
}

Result<std::unique_ptr<IngestionSource>> make_file_source(const config::Node& v) {
  auto globs = globs_of(v);
  if (!globs) return std::unexpected(globs.error());
  auto mapping = payload::Mapping::from_config(v, {.headers = false, .topic_required = false});
  if (!mapping) return std::unexpected(mapping.error());
  FileOptions o;
  o.globs = std::move(*globs);
  o.initial_scan = v.boolean("initial_scan");
  o.settle = v.duration("settle");
  o.rescan_interval = v.duration("rescan_interval");
  o.max_file_size = v.size("max_file_size");
  o.limits.files = static_cast<std::size_t>(v.integer("max_files"));
  o.limits.directories = static_cast<std::size_t>(v.integer("max_directories"));
  o.batch_events = static_cast<std::size_t>(v.integer("batch_events"));
  EventOptions e{.format = format_named(v.str("format")),
                 .csv_row_events = v.str("csv_events") == "row",
                 .content = {.values = static_cast<std::size_t>(v.integer("max_values")),
                             .csv_delimiter = v.str("csv_delimiter")[0]},
                 .mapping = std::move(*mapping)};
  // Reading XML needs the xml module: missing, it stops start-up here rather than fail each file.
  if (!e.format || *e.format == Format::Xml)
    if (auto xml = load_xml_module(); !xml) return std::unexpected(v["format"].error(xml.error().message));
  return std::make_unique<FileSource>(std::move(o), std::move(e));
}

SourceKind file_source_kind() {
  return {
      .name = "file",
      .family = "file",
      .doc = "File watching: says what JSON, YAML, CSV, XML and text files matched by glob patterns hold when they "
             "are created, modified or deleted (events file/<name>/created|modified|deleted), once each across "
             "restarts. See docs/sources/file.md.",
      .validate = validate_file_source,
      .make = [](const config::Node& validated, SourceServices&) { return make_file_source(validated); },
      .schemas = [] { return std::vector<config::Schema>{file_source_schema()}; },
  };
}

}  // namespace chatops::ingestion::file
