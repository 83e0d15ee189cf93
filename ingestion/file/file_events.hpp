#pragma once
// The events of a file source: file/<source>/created|modified|deleted with the file's path, size,
// modification time and parsed content (through the shared mapping: fields, severity, dedupe,
// topic), one per file or one per CSV row; file/<source>/error for a file that cannot be read or
// parsed, naming it and the line.
#include <optional>
#include <string>
#include <vector>

#include "ingestion/event.hpp"
#include "ingestion/file/formats.hpp"
#include "ingestion/file/snapshot.hpp"
#include "ingestion/payload/mapping.hpp"

namespace chatops::ingestion::file {

struct EventOptions {
  std::optional<Format> format;  // nullopt: by the file's extension
  bool csv_row_events = true;    // one event per CSV row, else one per file
  ContentOptions content;
  payload::Mapping mapping;
};

struct FileChange {
  std::string path;
  std::string change;  // created, modified, deleted
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
};

class EventMaker {
 public:
  EventMaker(std::string source, EventOptions options);

  // The events of a created or modified file whose content is `text`.
  std::vector<IngestionEvent> changed(const FileChange& c, const std::string& text) const;
  IngestionEvent deleted(const FileChange& c) const;
  IngestionEvent error(const FileChange& c, std::size_t line, const std::string& why) const;

 private:
  IngestionEvent base(const FileChange& c, const std::string& topic) const;
  std::optional<IngestionEvent> mapped(const FileChange& c, const nlohmann::json& content, std::string& why) const;

  std::string prefix_;  // file/<source>/
  EventOptions o_;
};

}  // namespace chatops::ingestion::file
