#include "ingestion/journal/journal_config.hpp"

namespace chatops::ingestion {

config::Schema storage_schema() {
  using config::Kind;
  config::Schema s("storage", "The journal: where events are kept from receipt until said in IRC.");
  s.field("path", Kind::String, "SQLite file; its parent directories are created.").fallback("./data/chatops.db");
  s.field("dedupe_window", Kind::Duration, "An event whose dedupe key was seen this recently is dropped.")
      .fallback("24h");
  s.field("retention", Kind::Duration, "How long events already said are kept (for history).").fallback("7d");
  s.field("synchronous", Kind::String,
          "full: every acknowledged event survives a power loss; normal: faster, survives a crash of the "
          "bot but not of the machine.")
      .fallback("full")
      .one_of({"full", "normal"});
  s.field("batch_max", Kind::Integer, "Most events written in one transaction (group commit).")
      .fallback("512")
      .range(1, 100000);
  return s;
}

JournalOptions journal_options(const config::Node& storage) {
  JournalOptions o;
  o.path = storage.str("path");
  o.dedupe_window = storage.duration("dedupe_window");
  o.retention = storage.duration("retention");
  o.synchronous = storage.str("synchronous") == "normal" ? Synchronous::Normal : Synchronous::Full;
  o.batch_max = static_cast<std::size_t>(storage.integer("batch_max"));
  return o;
}

}  // namespace chatops::ingestion
