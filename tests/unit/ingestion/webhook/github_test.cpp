#include "ingestion/webhook/github.hpp"

#include <filesystem>
#include <map>

#include <catch2/catch.hpp>

#include "webhook_test_support.hpp"

using namespace chatops;
using namespace chatops::ingestion;
using namespace chatops::ingestion::webhook;
using namespace chatops::ingestion::webhook::test;

namespace {

constexpr auto kGitHubDocsSecret = "It's a Secret to Everybody";
const std::string kConfig = "{name: gh, kind: webhook, provider: github, path: /hooks/github, secret: \"It's a Secret to Everybody\"}";

struct Delivered {
  IngestionEvent event;
  std::vector<std::string> said;  // what a bind without a template of its own says, line by line
};

Delivered deliver(const Provider& p, const std::string& event, const std::string& body,
                  const std::string& delivery = "72d3162e-cc78-11e3-81ab-4c9367dc0958") {
  auto e = only_event(p, json_request(body, {{"X-GitHub-Event", event},
                                             {"X-GitHub-Delivery", delivery},
                                             {"X-Hub-Signature-256", github_signature(kGitHubDocsSecret, body)}}));
  auto said = said_lines(e);
  return {std::move(e), std::move(said)};
}

Delivered github_fixture(const Provider& p, const std::string& file) {
  const std::string event = file.substr(0, file.find('.'));
  return deliver(p, event, read_fixture("webhooks/github/" + file));
}

// The rendered text with its IRC formatting (for the colours).
std::string formatted(const IngestionEvent& e) {
  return bindings::Template::compile(e.default_template)->render(bindings::template_data(bindings::BindContext(e))).value();
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

TEST_CASE("github: what the default templates say for every real payload, to the letter", "[webhook][github]") {
  // File → the lines said by a bind without a template of its own; none: not said by default
  // (the twin of another event, or a run, job or check that has not completed).
  const std::string hello = "Codertocat/Hello-World Codertocat ";
  const std::string pr2 = " pull request #2: Update the README with new information. (master ← changes) "
                          "https://github.com/Codertocat/Hello-World/pull/2";
  const std::string issue1 = " issue #1: Spelling error in the README file https://github.com/Codertocat/Hello-World/issues/1";
  const std::string comment1 = " issue #1 (Spelling error in the README file): You are totally right! I'll get this fixed ";
  const std::string comment_url = " https://github.com/Codertocat/Hello-World/issues/1#issuecomment-492700400";
  const std::string zen = " GitHub webhook is set up: Anything added dilutes everything else.";
  const std::string run163 = "octo-org/octo-repo workflow test #163 on master: success "
                             "https://github.com/octo-org/octo-repo/actions/runs/289782451";
  const std::string new_master = hello + "created branch master with 1 commit "
                                 "https://github.com/Codertocat/Hello-World/commit/6113728f27ae82c7b1a177c8d03f9e96e0adf246";
  const std::map<std::string, std::vector<std::string>> said{
      {"check_run.completed.failure.json", {}},  // GitHub Actions: its workflow_job says it
      {"check_run.completed.success.json",
       {"Codertocat/Hello-World check Octocoders-linter on changes: success "
        "https://github.com/Codertocat/Hello-World/runs/128620228"}},
      {"check_run.created.json", {}},
      {"check_run.rerequested.neutral.json", {}},
      {"check_suite.completed.json",
       {"Codertocat/Hello-World check suite (octocoders-linter) on changes: success "
        "https://github.com/Codertocat/Hello-World/commit/ec26c3e57ca3a959ca5aad62de7213c562f8c821"}},
      {"create.tag.json", {}},  // the push of the tag says it
      {"create.tag.with-description.json", {}},
      {"delete.tag.json", {}},
      {"issue_comment.created.1.json", {hello + "commented on" + comment1 + "right away." + comment_url}},
      {"issue_comment.created.json", {hello + "commented on" + comment1 + "right away." + comment_url}},
      {"issue_comment.deleted.json", {hello + "deleted a comment on" + comment1 + "today." + comment_url}},
      {"issue_comment.edited.json", {hello + "edited a comment on" + comment1 + "today." + comment_url}},
      {"issues.assigned.json", {hello + "assigned themselves to" + issue1}},
      {"issues.labeled.json", {hello + "added label bug to" + issue1}},
      {"issues.opened.json", {hello + "opened" + issue1}},
      {"issues.opened.with-empty-body.json", {hello + "opened" + issue1}},
      {"issues.reopened.json", {hello + "reopened" + issue1}},
      {"ping.default.json", {"Octocoders/Hello-World" + zen}},
      {"ping.with-app_id.json", {"Octocoders/Hello-World" + zen}},
      {"ping.with-organization.json", {"Octocoders" + zen}},
      {"pull_request.closed.not-merged.json", {hello + "closed" + pr2}},
      {"pull_request.labeled.json", {hello + "added label bug to" + pr2}},
      {"pull_request.opened.json", {hello + "opened" + pr2}},
      {"pull_request.opened.with-null-body.json", {hello + "opened" + pr2}},
      {"pull_request.reopened.json", {hello + "reopened" + pr2}},
      {"pull_request.review_requested.json", {hello + "requested a review from octocat on" + pr2}},
      {"pull_request.synchronize.json", {hello + "pushed to" + pr2}},
      {"push.new-branch.json", {new_master, "  6113728 Initial commit (Codertocat)"}},
      {"push.new-branch.no-username-committer.json", {new_master, "  6113728 Initial commit (Codertocat)"}},
      {"push.tag-created.ghes-3.5.json",
       {hello + "pushed new tag simple-tag https://octocoders.github.io/Codertocat/Hello-World/compare/simple-tag"}},
      {"push.tag-deleted.json", {hello + "deleted tag simple-tag"}},  // no link to a compare with 000000
      {"push.tag-deleted.with-organization.json", {hello + "deleted tag simple-tag"}},
      {"release.created.json", {}},  // published says it
      {"release.prereleased.json", {}},
      {"release.published.json",
       {hello + "published release 0.0.1 https://github.com/Codertocat/Hello-World/releases/tag/0.0.1"}},
      {"release.released.json", {}},
      {"star.created.json", {hello + "starred the repository (stars: 1)"}},
      {"star.deleted.json", {hello + "unstarred the repository (stars: 0)"}},
      {"watch.started.json", {}},  // star says it
      {"workflow_job.completed.failure.json",
       {"Codertocat/Hello-World job linters (CodeQL) on main: failure https://github.com/octo-org/octo-repo/runs/1291536064"}},
      {"workflow_job.completed.success.json",
       {"Codertocat/Hello-World job linters (CodeQL) on main: success https://github.com/octo-org/octo-repo/runs/1291536064"}},
      {"workflow_job.in_progress.json", {}},
      {"workflow_job.queued.json", {}},
      {"workflow_run.completed.success.json", {run163}},
      {"workflow_run.completed.success.with-pull-requests.json", {run163}},
      {"workflow_run.requested.action_required.json", {}},
      {"workflow_run.requested.json", {}},
  };
  auto p = provider_from(kConfig);
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(CHATOPS_FIXTURES_DIR) + "/webhooks/github")) {
    const std::string file = entry.path().filename().string();
    if (!file.ends_with(".json")) continue;
    ++files;
    INFO(file);
    REQUIRE(said.contains(file));  // a new fixture needs its expected lines here
    const auto [e, lines] = github_fixture(*p, file);
    const std::string event = file.substr(0, file.find('.'));
    CHECK(e.topic == "github/" + event);
    CHECK(e.dedupe_key == "72d3162e-cc78-11e3-81ab-4c9367dc0958");
    CHECK(e.fields["event"] == event);
    CHECK_FALSE(e.fields["what"].get<std::string>().empty());  // what digest lines call several of them
    CHECK(nlohmann::json::parse(e.raw).is_object());
    CHECK(lines == said.at(file));
  }
  CHECK(files == said.size());
}

TEST_CASE("github: a bind with its own template hears what the default keeps quiet", "[webhook][github]") {
  auto p = provider_from(kConfig);
  auto queued = github_fixture(*p, "workflow_job.queued.json").event;
  CHECK(said_lines(queued).empty());
  CHECK(queued.fields["outcome"] == "queued");
  CHECK(queued.fields["is_pending"] == true);
  auto own = bindings::Template::compile("{{name}}: {{outcome}}");
  REQUIRE(own);
  CHECK(own->render(bindings::template_data(bindings::BindContext(queued))) == "update: queued");
  CHECK(github_fixture(*p, "create.tag.json").event.fields["tag"] == "simple-tag");
  CHECK(github_fixture(*p, "release.released.json").event.fields["verb"] == "released");
}

TEST_CASE("github: push fields", "[webhook][github]") {
  auto p = provider_from(kConfig);

  auto branch = github_fixture(*p, "push.new-branch.json").event;
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

  // The committer has no username: the author's name stands in.
  auto no_username = github_fixture(*p, "push.new-branch.no-username-committer.json").event;
  CHECK(no_username.fields["commits"][0]["author"] == "Codertocat");

  auto deleted = github_fixture(*p, "push.tag-deleted.json").event;
  CHECK(deleted.fields["tag"] == "simple-tag");
  CHECK(deleted.fields["branch"] == "");
  CHECK(deleted.fields["deleted"] == true);
  CHECK(deleted.fields["commit_count"] == 0);
  CHECK(deleted.fields["compare"].is_null());
  CHECK(github_fixture(*p, "push.tag-created.ghes-3.5.json").event.fields["tag"] == "simple-tag");
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
  auto [e, lines] = deliver(*p, "push", payload.dump());
  CHECK(e.fields["commit_count"] == 5);
  CHECK(e.fields["commits"].size() == 5);
  CHECK(e.fields["commits_shown"].size() == 3);
  CHECK(e.fields["more_commits"][0]["count"] == 2);
  const std::string title = e.fields["commits"][0]["title"];
  CHECK(title == "Commit number 0 with a very long title that goes on and on and on pas…");
  CHECK(lines == std::vector<std::string>{
                     "Codertocat/Hello-World Codertocat pushed 5 commits to master (forced) "
                     "https://github.com/Codertocat/Hello-World/commit/6113728f27ae82c7b1a177c8d03f9e96e0adf246",
                     "  0abcdef " + title + " (Codertocat)",
                     "  1abcdef Commit number 1 with a very long title that goes on and on and on pas… (Codertocat)",
                     "  2abcdef Commit number 2 with a very long title that goes on and on and on pas… (Codertocat)",
                     "  … and 2 more"});
  CHECK(formatted(e).find("\x03" "04") != std::string::npos);  // (forced) in red

  payload["deleted"] = true;
  payload["forced"] = false;
  payload["commits"] = nlohmann::json::array();
  CHECK(deliver(*p, "push", payload.dump()).said ==
        std::vector<std::string>{"Codertocat/Hello-World Codertocat deleted branch master"});
}

TEST_CASE("github: pull requests and issues name the label, the assignee and the reviewer", "[webhook][github]") {
  auto p = provider_from(kConfig);
  auto opened = github_fixture(*p, "pull_request.opened.json").event;
  CHECK(opened.topic == "github/pull_request");
  CHECK(opened.fields["action"] == "opened");
  CHECK(opened.fields["number"] == 2);
  CHECK(opened.fields["title"] == "Update the README with new information.");
  CHECK(opened.fields["author"] == "Codertocat");
  CHECK(opened.fields["url"] == "https://github.com/Codertocat/Hello-World/pull/2");
  CHECK(opened.fields["base"] == "master");
  CHECK(opened.fields["head"] == "changes");

  // Upstream publishes no merge, unlabel, unassignment or team review request: derived from the
  // real payloads by changing only those values.
  auto payload = nlohmann::json::parse(read_fixture("webhooks/github/pull_request.closed.not-merged.json"));
  CHECK(deliver(*p, "pull_request", payload.dump()).event.fields["verb"] == "closed");
  payload["pull_request"]["merged"] = true;
  CHECK(deliver(*p, "pull_request", payload.dump()).event.fields["verb"] == "merged");

  auto labeled = nlohmann::json::parse(read_fixture("webhooks/github/pull_request.labeled.json"));
  labeled["action"] = "unlabeled";
  CHECK(deliver(*p, "pull_request", labeled.dump()).event.fields["verb"] == "removed label bug from");
  auto review = nlohmann::json::parse(read_fixture("webhooks/github/pull_request.review_requested.json"));
  CHECK(deliver(*p, "pull_request", review.dump()).event.fields["reviewer"] == "octocat");
  review.erase("requested_reviewer");
  review["requested_team"] = {{"name", "core"}};
  CHECK(deliver(*p, "pull_request", review.dump()).event.fields["verb"] == "requested a review from core on");

  auto assigned = nlohmann::json::parse(read_fixture("webhooks/github/issues.assigned.json"));
  assigned["assignee"]["login"] = "octocat";
  CHECK(deliver(*p, "issues", assigned.dump()).event.fields["verb"] == "assigned octocat to");
  assigned["action"] = "unassigned";
  CHECK(deliver(*p, "issues", assigned.dump()).event.fields["verb"] == "unassigned octocat from");

  auto comment = github_fixture(*p, "issue_comment.created.json").event;
  CHECK(comment.fields["number"] == 1);
  CHECK(comment.fields["author"] == "Codertocat");
  CHECK(comment.fields["is_pull_request"] == false);
}

TEST_CASE("github: CI results carry an outcome, a colour and a severity", "[webhook][github]") {
  auto p = provider_from(kConfig);
  auto run = github_fixture(*p, "workflow_run.completed.success.json").event;
  CHECK(run.fields["outcome"] == "success");
  CHECK(run.fields["branch"] == "master");
  CHECK(run.fields["url"] == "https://github.com/octo-org/octo-repo/actions/runs/289782451");
  CHECK(run.severity == Severity::Info);
  CHECK(formatted(run).find("\x03" "09") != std::string::npos);  // green

  CHECK(github_fixture(*p, "workflow_run.requested.json").event.fields["is_pending"] == true);
  CHECK(github_fixture(*p, "workflow_run.requested.action_required.json").event.severity == Severity::Notice);

  auto failed_payload = nlohmann::json::parse(read_fixture("webhooks/github/workflow_run.completed.success.json"));
  failed_payload["workflow_run"]["conclusion"] = "failure";
  auto [failed, failed_lines] = deliver(*p, "workflow_run", failed_payload.dump());
  CHECK(failed.severity == Severity::Error);
  CHECK(failed_lines == std::vector<std::string>{"octo-org/octo-repo workflow test #163 on master: failure "
                                                 "https://github.com/octo-org/octo-repo/actions/runs/289782451"});
  CHECK(formatted(failed).find("\x03" "04") != std::string::npos);  // red

  auto job = github_fixture(*p, "workflow_job.completed.failure.json").event;
  CHECK(job.fields["name"] == "linters");
  CHECK(job.fields["workflow"] == "CodeQL");
  CHECK(job.severity == Severity::Error);

  auto check = github_fixture(*p, "check_run.completed.failure.json").event;
  CHECK(check.fields["name"] == "Octocoders-linter");
  CHECK(check.severity == Severity::Error);
  auto suite = github_fixture(*p, "check_suite.completed.json").event;
  CHECK(suite.fields["branch"] == "changes");
  CHECK(suite.fields["outcome"] == "success");
}

TEST_CASE("github: releases name their tag once, refs, stars and ping", "[webhook][github]") {
  auto p = provider_from(kConfig);
  auto release = github_fixture(*p, "release.published.json").event;
  CHECK(release.fields["tag"] == "0.0.1");
  CHECK(release.fields["name"] == "0.0.1");  // no name: the tag stands in
  CHECK(release.fields["tag_shown"].is_null());
  auto named = nlohmann::json::parse(read_fixture("webhooks/github/release.published.json"));
  named["release"]["name"] = "Spring cleaning";
  CHECK(deliver(*p, "release", named.dump()).said ==
        std::vector<std::string>{"Codertocat/Hello-World Codertocat published release Spring cleaning (0.0.1) "
                                 "https://github.com/Codertocat/Hello-World/releases/tag/0.0.1"});

  CHECK(github_fixture(*p, "create.tag.json").event.fields["ref_type"] == "tag");
  CHECK(github_fixture(*p, "star.deleted.json").event.fields["verb"] == "unstarred");
  auto ping = github_fixture(*p, "ping.default.json").event;
  CHECK(ping.topic == "github/ping");
  CHECK(ping.fields["zen"] == "Anything added dilutes everything else.");
  CHECK(github_fixture(*p, "ping.with-organization.json").event.fields["repo"] == "Octocoders");
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
