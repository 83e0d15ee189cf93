#include "ingestion/webhook/github.hpp"

#include <filesystem>
#include <map>

#include <catch2/catch.hpp>
#include <kainjow/mustache.hpp>

#include "webhook_test_support.hpp"

using namespace chatops;
using namespace chatops::ingestion;
using namespace chatops::ingestion::webhook;
using namespace chatops::ingestion::webhook::test;
namespace mustache = kainjow::mustache;

namespace {

constexpr auto kGitHubDocsSecret = "It's a Secret to Everybody";
const std::string kConfig = "{name: gh, kind: webhook, provider: github, path: /hooks/github, secret: \"It's a Secret to Everybody\"}";

// The way templates are rendered (mustache over the fields, no HTML escaping), for checking the
// default templates against real payloads.
mustache::data to_data(const nlohmann::json& j) {
  if (j.is_object()) {
    mustache::data d(mustache::data::type::object);
    for (const auto& [k, v] : j.items()) d.set(k, to_data(v));
    return d;
  }
  if (j.is_array()) {
    mustache::data list(mustache::data::type::list);
    for (const auto& v : j) list.push_back(to_data(v));
    return list;
  }
  if (j.is_boolean()) return mustache::data(j.get<bool>());
  if (j.is_string()) return mustache::data(j.get<std::string>());
  return mustache::data(j.is_null() ? std::string() : j.dump());
}

std::string render(const IngestionEvent& e) {
  mustache::mustache tmpl(e.default_template);
  REQUIRE(tmpl.is_valid());
  tmpl.set_custom_escape([](const std::string& s) { return s; });
  return tmpl.render(to_data(e.fields));
}

struct Delivered {
  IngestionEvent event;
  std::string text;  // the default template rendered
};

Delivered deliver(const Provider& p, const std::string& event, const std::string& body,
                  const std::string& delivery = "72d3162e-cc78-11e3-81ab-4c9367dc0958") {
  auto r = json_request(body, {{"X-GitHub-Event", event},
                               {"X-GitHub-Delivery", delivery},
                               {"X-Hub-Signature-256", github_signature(kGitHubDocsSecret, body)}});
  REQUIRE_FALSE(p.authenticate(r));
  auto parsed = p.parse(r);
  REQUIRE(parsed);
  REQUIRE(parsed->events.size() == 1);
  auto e = std::move(parsed->events[0]);
  return {e, render(e)};
}

Delivered fixture(const Provider& p, const std::string& file) {
  const std::string event = file.substr(0, file.find('.'));
  return deliver(p, event, read_fixture("webhooks/github/" + file));
}

}  // namespace

TEST_CASE("github: the signature is checked on the raw body", "[webhook][github]") {
  auto p = provider_from(kConfig);
  // GitHub Docs' vector at the header level.
  auto ok = json_request("Hello, World!", {{"X-Hub-Signature-256",
                                            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"},
                                           {"X-GitHub-Event", "ping"}});
  CHECK_FALSE(p->authenticate(ok));
  auto tampered = ok;
  tampered.body = "Hello, World?";
  CHECK(p->authenticate(tampered)->cause == "bad_signature");
  auto unsigned_request = json_request("{}", {{"X-GitHub-Event", "ping"}});
  auto missing = p->authenticate(unsigned_request);
  REQUIRE(missing);
  CHECK(missing->status == 401);
  CHECK(missing->cause == "missing_signature");
  // The legacy SHA-1 header alone is not enough.
  CHECK(p->authenticate(json_request("{}", {{"X-Hub-Signature", "sha1=0000"}}))->cause == "missing_signature");
}

TEST_CASE("github: every fixture maps to an event with a rendered default template", "[webhook][github]") {
  auto p = provider_from(kConfig);
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(CHATOPS_FIXTURES_DIR) + "/webhooks/github")) {
    const std::string file = entry.path().filename().string();
    if (!file.ends_with(".json")) continue;
    ++files;
    INFO(file);
    auto [e, text] = fixture(*p, file);
    const std::string event = file.substr(0, file.find('.'));
    CHECK(e.topic == "github/" + event);
    CHECK(e.dedupe_key == "72d3162e-cc78-11e3-81ab-4c9367dc0958");
    CHECK(e.fields["event"] == event);
    CHECK_FALSE(e.fields["repo"].get<std::string>().empty());
    CHECK_FALSE(e.fields["sender"].get<std::string>().empty());
    CHECK(nlohmann::json::parse(e.raw).is_object());
    CHECK_FALSE(e.default_template.empty());
    // Every mustache tag resolved to something and no line is left empty.
    CHECK(text.find("{{") == std::string::npos);
    CHECK(text.find("[B][/B]") == std::string::npos);
    CHECK(text.find(e.fields["repo"].get<std::string>()) != std::string::npos);
    std::size_t start = 0;
    while (start <= text.size()) {
      const auto end = std::min(text.find('\n', start), text.size());
      CHECK(text.substr(start, end - start).find_first_not_of(' ') != std::string::npos);
      start = end + 1;
    }
  }
  CHECK(files == 47);
}

TEST_CASE("github: push fields", "[webhook][github]") {
  auto p = provider_from(kConfig);

  auto [branch, text] = fixture(*p, "push.new-branch.json");
  CHECK(branch.fields["repo"] == "Codertocat/Hello-World");
  CHECK(branch.fields["branch"] == "master");
  CHECK(branch.fields["tag"] == "");
  CHECK(branch.fields["pusher"] == "Codertocat");
  CHECK(branch.fields["commit_count"] == 1);
  CHECK(branch.fields["created"] == true);
  CHECK(branch.fields["deleted"] == false);
  CHECK(branch.fields["forced"] == false);
  CHECK(branch.fields["head"] == "6113728");
  CHECK(branch.fields["commits"][0]["id_short"] == "6113728");
  CHECK(branch.fields["commits"][0]["title"] == "Initial commit");
  CHECK(branch.fields["commits"][0]["author"] == "Codertocat");
  CHECK(branch.fields["compare"].get<std::string>().starts_with("https://github.com/Codertocat/Hello-World/"));
  CHECK(text ==
        "[B]Codertocat/Hello-World[/B] Codertocat created branch master with 1 commit "
        "https://github.com/Codertocat/Hello-World/commit/6113728f27ae82c7b1a177c8d03f9e96e0adf246\n"
        "  6113728 Initial commit (Codertocat)");

  // The committer has no username: the author's name stands in.
  auto no_username = fixture(*p, "push.new-branch.no-username-committer.json").event;
  CHECK(no_username.fields["commits"][0]["author"] == "Codertocat");

  auto deleted = fixture(*p, "push.tag-deleted.json");
  CHECK(deleted.event.fields["tag"] == "simple-tag");
  CHECK(deleted.event.fields["branch"] == "");
  CHECK(deleted.event.fields["deleted"] == true);
  CHECK(deleted.event.fields["commit_count"] == 0);
  CHECK(deleted.text.starts_with("[B]Codertocat/Hello-World[/B] Codertocat deleted tag simple-tag "));

  auto created = fixture(*p, "push.tag-created.ghes-3.5.json");
  CHECK(created.event.fields["tag"] == "simple-tag");
  CHECK(created.text.find("pushed new tag simple-tag") != std::string::npos);

  CHECK(fixture(*p, "push.tag-deleted.with-organization.json").event.fields["deleted"] == true);
}

TEST_CASE("github: push with many commits shows three and counts the rest", "[webhook][github]") {
  // Upstream publishes no push with several commits, nor a forced or branch-deleting one: derived
  // from push.new-branch.json by changing only those values.
  auto p = provider_from(kConfig);
  auto payload = nlohmann::json::parse(read_fixture("webhooks/github/push.new-branch.json"));
  payload["created"] = false;
  payload["forced"] = true;
  const auto commit = payload["commits"][0];
  payload["commits"] = nlohmann::json::array();
  for (int i = 0; i < 5; ++i) {
    auto c = commit;
    c["id"] = std::to_string(i) + "abcdef0123456789";
    c["message"] = "Commit number " + std::to_string(i) + " with a very long title that goes on and on and on past seventy\n\nbody";
    payload["commits"].push_back(c);
  }
  auto [e, text] = deliver(*p, "push", payload.dump());
  CHECK(e.fields["commit_count"] == 5);
  CHECK(e.fields["commits"].size() == 5);
  CHECK(e.fields["commits_shown"].size() == 3);
  CHECK(e.fields["more_commits"][0]["count"] == 2);
  const std::string title = e.fields["commits"][0]["title"];
  CHECK(title.ends_with("…"));
  CHECK(title == "Commit number 0 with a very long title that goes on and on and on pas…");
  CHECK(text ==
        "[B]Codertocat/Hello-World[/B] Codertocat pushed 5 commits to master [COLOR=RED](forced)[/COLOR] "
        "https://github.com/Codertocat/Hello-World/commit/6113728f27ae82c7b1a177c8d03f9e96e0adf246\n"
        "  0abcdef " + title + " (Codertocat)\n"
        "  1abcdef Commit number 1 with a very long title that goes on and on and on pas… (Codertocat)\n"
        "  2abcdef Commit number 2 with a very long title that goes on and on and on pas… (Codertocat)\n"
        "  … and 2 more");

  payload["deleted"] = true;
  payload["commits"] = nlohmann::json::array();
  CHECK(deliver(*p, "push", payload.dump()).event.fields["summary"] == "deleted branch master");
}

TEST_CASE("github: pull_request, issues and comments", "[webhook][github]") {
  auto p = provider_from(kConfig);
  auto opened = fixture(*p, "pull_request.opened.json");
  CHECK(opened.event.topic == "github/pull_request");
  CHECK(opened.event.fields["action"] == "opened");
  CHECK(opened.event.fields["number"] == 2);
  CHECK(opened.event.fields["title"] == "Update the README with new information.");
  CHECK(opened.event.fields["author"] == "Codertocat");
  CHECK(opened.event.fields["url"] == "https://github.com/Codertocat/Hello-World/pull/2");
  CHECK(opened.event.fields["base"] == "master");
  CHECK(opened.event.fields["head"] == "changes");
  CHECK(opened.text ==
        "[B]Codertocat/Hello-World[/B] Codertocat opened pull request #2: Update the README with new information. "
        "(master ← changes) https://github.com/Codertocat/Hello-World/pull/2");

  auto closed = fixture(*p, "pull_request.closed.not-merged.json");
  CHECK(closed.event.fields["merged"] == false);
  CHECK(closed.event.fields["verb"] == "closed");
  auto merged_payload = nlohmann::json::parse(read_fixture("webhooks/github/pull_request.closed.not-merged.json"));
  merged_payload["pull_request"]["merged"] = true;
  CHECK(deliver(*p, "pull_request", merged_payload.dump()).event.fields["verb"] == "merged");
  CHECK(fixture(*p, "pull_request.review_requested.json").event.fields["verb"] == "requested a review on");
  CHECK(fixture(*p, "pull_request.labeled.json").event.fields["label"] == "bug");

  auto issue = fixture(*p, "issues.opened.json");
  CHECK(issue.event.fields["number"] == 1);
  CHECK(issue.event.fields["title"] == "Spelling error in the README file");
  CHECK(issue.event.fields["url"] == "https://github.com/Codertocat/Hello-World/issues/1");
  CHECK(issue.text.find("opened issue #1: Spelling error in the README file") != std::string::npos);
  CHECK(fixture(*p, "issues.assigned.json").event.fields["assignee"] == "Codertocat");

  auto comment = fixture(*p, "issue_comment.created.json");
  CHECK(comment.event.fields["number"] == 1);
  CHECK(comment.event.fields["author"] == "Codertocat");
  CHECK_FALSE(comment.event.fields["comment"].get<std::string>().empty());
  CHECK(comment.text.find("commented on #1") != std::string::npos);
  CHECK(fixture(*p, "issue_comment.deleted.json").event.fields["verb"] == "deleted a comment on");
}

TEST_CASE("github: CI results carry an outcome, a colour and a severity", "[webhook][github]") {
  auto p = provider_from(kConfig);
  auto run = fixture(*p, "workflow_run.completed.success.json");
  CHECK(run.event.fields["outcome"] == "success");
  CHECK(run.event.fields["branch"] == "master");
  CHECK(run.event.fields["url"] == "https://github.com/octo-org/octo-repo/actions/runs/289782451");
  CHECK_FALSE(run.event.fields["name"].get<std::string>().empty());
  CHECK(run.event.severity == Severity::Info);
  CHECK(run.text.find("[COLOR=GREEN]success[/COLOR]") != std::string::npos);

  auto requested = fixture(*p, "workflow_run.requested.json");
  CHECK(requested.event.fields["is_pending"] == true);
  CHECK(requested.text.find("[COLOR=YELLOW]queued[/COLOR]") != std::string::npos);
  CHECK(fixture(*p, "workflow_run.requested.action_required.json").event.severity == Severity::Notice);

  auto failed_payload = nlohmann::json::parse(read_fixture("webhooks/github/workflow_run.completed.success.json"));
  failed_payload["workflow_run"]["conclusion"] = "failure";
  auto failed = deliver(*p, "workflow_run", failed_payload.dump());
  CHECK(failed.event.severity == Severity::Error);
  CHECK(failed.text.find("[COLOR=RED]failure[/COLOR]") != std::string::npos);

  auto job = fixture(*p, "workflow_job.completed.failure.json");
  CHECK(job.event.fields["name"] == "linters");
  CHECK(job.event.fields["workflow"] == "CodeQL");
  CHECK(job.event.severity == Severity::Error);
  CHECK(job.text ==
        "[B]Codertocat/Hello-World[/B] job [B]linters[/B] (CodeQL) on main: [COLOR=RED]failure[/COLOR] "
        "https://github.com/octo-org/octo-repo/runs/1291536064");
  CHECK(fixture(*p, "workflow_job.in_progress.json").text.find("[COLOR=YELLOW]in progress[/COLOR]") !=
        std::string::npos);

  auto check = fixture(*p, "check_run.completed.failure.json");
  CHECK(check.event.fields["name"] == "Octocoders-linter");
  CHECK(check.event.severity == Severity::Error);
  CHECK(fixture(*p, "check_run.rerequested.neutral.json").text.find(": neutral ") != std::string::npos);
  auto suite = fixture(*p, "check_suite.completed.json");
  CHECK(suite.event.fields["branch"] == "changes");
  CHECK(suite.event.fields["outcome"] == "success");
}

TEST_CASE("github: releases, refs, stars and ping", "[webhook][github]") {
  auto p = provider_from(kConfig);
  auto release = fixture(*p, "release.published.json");
  CHECK(release.event.fields["tag"] == "0.0.1");
  CHECK(release.event.fields["name"] == "0.0.1");  // no name: the tag stands in
  CHECK(fixture(*p, "release.released.json").event.fields["verb"] == "released");
  CHECK(release.text ==
        "[B]Codertocat/Hello-World[/B] Codertocat published release [B]0.0.1[/B] (0.0.1) "
        "https://github.com/Codertocat/Hello-World/releases/tag/0.0.1");

  auto create = fixture(*p, "create.tag.json");
  CHECK(create.event.fields["tag"] == "simple-tag");
  CHECK(create.text == "[B]Codertocat/Hello-World[/B] Codertocat created tag [B]simple-tag[/B]");
  CHECK(fixture(*p, "delete.tag.json").text == "[B]Codertocat/Hello-World[/B] Codertocat deleted tag [B]simple-tag[/B]");
  CHECK(fixture(*p, "star.deleted.json").event.fields["verb"] == "unstarred");
  CHECK(fixture(*p, "watch.started.json").text.find("Codertocat starred") != std::string::npos);

  auto ping = fixture(*p, "ping.default.json");
  CHECK(ping.event.topic == "github/ping");
  CHECK(ping.event.fields["zen"] == "Anything added dilutes everything else.");
  CHECK(fixture(*p, "ping.with-organization.json").event.fields["repo"] == "Octocoders");
}

TEST_CASE("github: unmapped events are skipped, bad requests refused", "[webhook][github]") {
  auto p = provider_from(kConfig);
  const std::string body = R"({"action":"created"})";
  auto r = json_request(body, {{"X-GitHub-Event", "deployment_status"}});
  auto parsed = p->parse(r);
  REQUIRE(parsed);
  CHECK(parsed->events.empty());
  CHECK(parsed->skip_reason == "unmapped GitHub event deployment_status");

  CHECK(p->parse(json_request(body)).error().cause == "missing_event");
  auto bad = p->parse(json_request("{not json", {{"X-GitHub-Event", "push"}}));
  REQUIRE_FALSE(bad);
  CHECK(bad.error().status == 400);
  CHECK(bad.error().cause == "malformed_json");
  CHECK(p->parse(json_request("[1]", {{"X-GitHub-Event", "push"}})).error().status == 400);

  // GitHub's form mode: the JSON is the url-encoded `payload` field.
  Request form;
  form.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"X-GitHub-Event", "ping"}};
  form.body = "payload=%7B%22zen%22%3A%22Keep+it+logically+awesome.%22%7D";
  auto from_form = p->parse(form);
  REQUIRE(from_form);
  CHECK(from_form->events.at(0).fields["zen"] == "Keep it logically awesome.");
  form.headers[0].second = "text/plain";
  CHECK(p->parse(form).error().status == 415);
}

TEST_CASE("github: configuration errors name the place", "[webhook][github]") {
  auto raw = config::load_string("{name: gh, kind: webhook, provider: github, path: /hooks/github}", "cfg.yml");
  REQUIRE(raw);
  auto missing = validate_webhook_source(*raw);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message.find("cfg.yml:1:") != std::string::npos);
  CHECK(missing.error().message.find("secret") != std::string::npos);

  auto unknown = validate_webhook_source(*config::load_string(
      "name: x\nkind: webhook\nprovider: gitbucket\npath: /x\n", "cfg.yml"));
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().message.find("cfg.yml:3:") != std::string::npos);
  CHECK(unknown.error().message.find("github") != std::string::npos);
  CHECK(unknown.error().message.find("generic") != std::string::npos);
}
