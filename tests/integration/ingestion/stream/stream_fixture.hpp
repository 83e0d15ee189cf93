#pragma once
// A journal and a stream source started on it from one `sources:` entry, for the stream tests.
#include <memory>
#include <string>

#include "ingestion/stream/stream_kind.hpp"
#include "tests/unit/ingestion/runtime/compliance.hpp"

namespace chatops::test {

struct StreamFixture {
  ingestion::SourceKind kind = ingestion::stream::stream_source_kind();
  ingestion::testing::TempDir journal_dir;
  std::unique_ptr<ingestion::Journal> journal = ingestion::testing::open_journal(journal_dir.file("j.db"));
  std::unique_ptr<compliance::Subject> subject;

  std::unique_ptr<compliance::Running> run(const std::string& config_yaml, const std::string& name = "s") {
    subject = std::make_unique<compliance::Subject>(compliance::Subject{.kind = kind, .config_yaml = config_yaml});
    auto r = std::make_unique<compliance::Running>(*subject, *journal, name);
    r->start();
    return r;
  }
};

}  // namespace chatops::test
