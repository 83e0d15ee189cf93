#include "ingestion/webhook/github.hpp"

#include <algorithm>
#include <array>

#include "ingestion/webhook/auth.hpp"
#include "ingestion/webhook/json_fields.hpp"

namespace chatops::ingestion::webhook {

namespace {

std::string short_sha(std::string_view sha) { return std::string(sha.substr(0, 7)); }

// "review_requested" → "review requested"
std::string words(std::string s) {
  std::ranges::replace(s, '_', ' ');
  return s;
}

// outcome: the conclusion once there is one, else the status; plus flags for colouring templates.
Severity set_outcome(Fields& f, const std::string& status, const std::string& conclusion) {
  const std::string outcome = conclusion.empty() ? status : conclusion;
  const bool failure = outcome == "failure" || outcome == "timed_out" || outcome == "startup_failure" ||
                       outcome == "cancelled";
  const bool pending = outcome == "queued" || outcome == "in_progress" || outcome == "requested" ||
                       outcome == "waiting" || outcome == "pending";
  f["status"] = status;
  f["conclusion"] = conclusion;
  f["outcome"] = words(outcome);
  f["is_success"] = outcome == "success";
  f["is_failure"] = failure;
  f["is_pending"] = pending;
  f["is_other"] = outcome != "success" && !failure && !pending;
  if (outcome == "failure" || outcome == "timed_out" || outcome == "startup_failure") return Severity::Error;
  if (outcome == "cancelled") return Severity::Warning;
  if (outcome == "action_required") return Severity::Notice;
  return Severity::Info;
}

// The outcome, green for success, red for failure, yellow while pending.
#define OUTCOME                                                                                       \
  "{{#is_success}}[COLOR=GREEN]{{outcome}}[/COLOR]{{/is_success}}"                                    \
  "{{#is_failure}}[COLOR=RED]{{outcome}}[/COLOR]{{/is_failure}}"                                      \
  "{{#is_pending}}[COLOR=YELLOW]{{outcome}}[/COLOR]{{/is_pending}}{{#is_other}}{{outcome}}{{/is_other}}"

constexpr std::size_t kShownCommits = 3;

Severity map_push(Value p, Fields& f) {
  const std::string ref = text_at(p, "/ref");
  const bool is_tag = ref.starts_with("refs/tags/");
  const std::string name = ref.substr(ref.starts_with("refs/heads/") ? 11 : is_tag ? 10 : 0);
  f["ref"] = ref;
  f["branch"] = is_tag ? "" : name;
  f["tag"] = is_tag ? name : "";
  f["pusher"] = text_at(p, "/pusher/name", text_at(p, "/sender/login"));
  f["forced"] = bool_at(p, "/forced");
  f["created"] = bool_at(p, "/created");
  f["deleted"] = bool_at(p, "/deleted");
  // A deleted ref's compare link ends in …000000000000, a page of nothing: no link then.
  const std::string compare = bool_at(p, "/deleted") ? "" : text_at(p, "/compare");
  f["compare"] = or_null(compare);
  f["url"] = compare;
  f["head"] = short_sha(text_at(p, "/after"));

  FieldsArray commits;
  if (const auto list = find(p, "/commits"); list && list->is_array())
    for (Value c : list->get_array()) {
      Fields commit;
      commit["id"] = text_at(c, "/id");
      commit["id_short"] = short_sha(text_at(c, "/id"));
      commit["title"] = first_line(text_at(c, "/message"));
      commit["author"] = text_at(c, "/author/username", text_at(c, "/author/name"));
      commit["url"] = text_at(c, "/url");
      commits.push_back(std::move(commit));
    }
  const std::size_t count = commits.size();
  f["commit_count"] = count;
  f["commits_shown"] = commits.slice(0, kShownCommits);
  f["more_commits"] = more_count(count, kShownCommits);
  f["commits"] = std::move(commits);

  const std::string kind = is_tag ? "tag " : "branch ";
  const std::string plural = std::to_string(count) + (count == 1 ? " commit" : " commits");
  if (bool_at(p, "/deleted")) f["summary"] = "deleted " + kind + name;
  else if (bool_at(p, "/created") && (is_tag || count == 0)) f["summary"] = "pushed new " + kind + name;
  else if (bool_at(p, "/created")) f["summary"] = "created branch " + name + " with " + plural;
  else f["summary"] = "pushed " + plural + " to " + name;
  return Severity::Info;
}

// The person or team an action names, "themselves" when it is the sender.
std::string whom(Value p, std::string_view pointer, std::string_view team_pointer = "") {
  std::string name = text_at(p, pointer, team_pointer.empty() ? "" : text_at(p, team_pointer));
  return name == text_at(p, "/sender/login") ? "themselves" : name;
}

// What the sender did to a pull request or an issue, with what the action is about:
// "added label bug to", "assigned alice to", "requested a review from bob on".
std::string verb_of(Value p, const std::string& action) {
  if (action == "labeled") return "added label " + text_at(p, "/label/name") + " to";
  if (action == "unlabeled") return "removed label " + text_at(p, "/label/name") + " from";
  if (action == "assigned") return "assigned " + whom(p, "/assignee/login") + " to";
  if (action == "unassigned") return "unassigned " + whom(p, "/assignee/login") + " from";
  if (action == "review_requested")
    return "requested a review from " + whom(p, "/requested_reviewer/login", "/requested_team/name") + " on";
  if (action == "review_request_removed")
    return "withdrew the review request for " + whom(p, "/requested_reviewer/login", "/requested_team/name") + " on";
  if (action == "milestoned") return "added milestone " + text_at(p, "/milestone/title") + " to";
  if (action == "demilestoned") return "removed milestone " + text_at(p, "/milestone/title") + " from";
  if (action == "synchronize") return "pushed to";
  if (action == "ready_for_review") return "marked ready for review";
  if (action == "converted_to_draft") return "turned into a draft";
  return words(action);
}

Severity map_pull_request(Value p, Fields& f) {
  const bool merged = bool_at(p, "/pull_request/merged");
  const std::string action = text_at(p, "/action");
  f["number"] = int_at(p, "/pull_request/number", int_at(p, "/number"));
  f["title"] = first_line(text_at(p, "/pull_request/title"), 120);
  f["author"] = text_at(p, "/pull_request/user/login");
  f["url"] = text_at(p, "/pull_request/html_url");
  f["base"] = text_at(p, "/pull_request/base/ref");
  f["head"] = text_at(p, "/pull_request/head/ref");
  f["merged"] = merged;
  f["draft"] = bool_at(p, "/pull_request/draft");
  f["label"] = text_at(p, "/label/name");
  f["reviewer"] = text_at(p, "/requested_reviewer/login", text_at(p, "/requested_team/name"));
  f["assignee"] = text_at(p, "/assignee/login");
  f["verb"] = action == "closed" && merged ? "merged" : verb_of(p, action);
  return Severity::Info;
}

Severity map_issues(Value p, Fields& f) {
  f["number"] = int_at(p, "/issue/number");
  f["title"] = first_line(text_at(p, "/issue/title"), 120);
  f["author"] = text_at(p, "/issue/user/login");
  f["url"] = text_at(p, "/issue/html_url");
  f["state"] = text_at(p, "/issue/state");
  f["label"] = text_at(p, "/label/name");
  f["assignee"] = text_at(p, "/assignee/login");
  f["verb"] = verb_of(p, text_at(p, "/action"));
  return Severity::Info;
}

Severity map_issue_comment(Value p, Fields& f) {
  const std::string action = text_at(p, "/action");
  f["number"] = int_at(p, "/issue/number");
  f["title"] = first_line(text_at(p, "/issue/title"), 120);
  f["author"] = text_at(p, "/comment/user/login");
  f["url"] = text_at(p, "/comment/html_url");
  f["comment"] = first_line(text_at(p, "/comment/body"), 120);
  f["is_pull_request"] = find(p, "/issue/pull_request").has_value();
  f["verb"] = action == "created" ? "commented on" : action + " a comment on";
  return Severity::Info;
}

Severity map_release(Value p, Fields& f) {
  const std::string tag = text_at(p, "/release/tag_name");
  const std::string name = text_at(p, "/release/name");
  f["tag"] = tag;
  f["name"] = name.empty() ? tag : first_line(name, 120);
  // The tag in brackets after the name, unless the name says it already.
  f["tag_shown"] = or_null(name.empty() || name == tag ? "" : tag);
  f["url"] = text_at(p, "/release/html_url");
  f["author"] = text_at(p, "/release/author/login");
  f["prerelease"] = bool_at(p, "/release/prerelease");
  f["draft"] = bool_at(p, "/release/draft");
  const std::string action = text_at(p, "/action");
  f["verb"] = action.ends_with("released") ? action : action + " release";
  return Severity::Info;
}

Severity map_workflow_run(Value p, Fields& f) {
  std::string name = text_at(p, "/workflow_run/name");
  if (name.empty()) name = text_at(p, "/workflow/name", text_at(p, "/workflow_run/path"));
  f["name"] = name;
  f["branch"] = text_at(p, "/workflow_run/head_branch");
  f["url"] = text_at(p, "/workflow_run/html_url");
  f["run_number"] = int_at(p, "/workflow_run/run_number");
  f["trigger"] = text_at(p, "/workflow_run/event");
  f["title"] = first_line(text_at(p, "/workflow_run/display_title"));
  f["actor"] = text_at(p, "/workflow_run/actor/login", text_at(p, "/sender/login"));
  f["head"] = short_sha(text_at(p, "/workflow_run/head_sha"));
  return set_outcome(f, text_at(p, "/workflow_run/status"), text_at(p, "/workflow_run/conclusion"));
}

Severity map_workflow_job(Value p, Fields& f) {
  f["name"] = text_at(p, "/workflow_job/name");
  f["workflow"] = text_at(p, "/workflow_job/workflow_name");
  f["branch"] = text_at(p, "/workflow_job/head_branch");
  f["url"] = text_at(p, "/workflow_job/html_url");
  f["runner"] = text_at(p, "/workflow_job/runner_name");
  f["head"] = short_sha(text_at(p, "/workflow_job/head_sha"));
  return set_outcome(f, text_at(p, "/workflow_job/status"), text_at(p, "/workflow_job/conclusion"));
}

Severity map_check_run(Value p, Fields& f) {
  f["name"] = text_at(p, "/check_run/name");
  f["branch"] = text_at(p, "/check_run/check_suite/head_branch");
  f["url"] = text_at(p, "/check_run/html_url");
  f["app"] = text_at(p, "/check_run/app/name");
  f["head"] = short_sha(text_at(p, "/check_run/head_sha"));
  return set_outcome(f, text_at(p, "/check_run/status"), text_at(p, "/check_run/conclusion"));
}

Severity map_check_suite(Value p, Fields& f) {
  const std::string sha = text_at(p, "/check_suite/head_sha");
  f["branch"] = text_at(p, "/check_suite/head_branch");
  f["app"] = text_at(p, "/check_suite/app/name");
  f["head"] = short_sha(sha);
  f["url"] = text_at(p, "/repository/html_url") + "/commit/" + sha;
  return set_outcome(f, text_at(p, "/check_suite/status"), text_at(p, "/check_suite/conclusion"));
}

Severity map_ref_event(Value p, Fields& f) {
  const std::string ref = text_at(p, "/ref");
  const std::string type = text_at(p, "/ref_type");
  f["ref"] = ref;
  f["ref_type"] = type;
  f["branch"] = type == "branch" ? ref : "";
  f["tag"] = type == "tag" ? ref : "";
  return Severity::Info;
}

Severity map_star(Value p, Fields& f) {
  f["stars"] = int_at(p, "/repository/stargazers_count");
  f["verb"] = text_at(p, "/action") == "deleted" ? "unstarred" : "starred";
  return Severity::Info;
}

Severity map_ping(Value p, Fields& f) {
  f["zen"] = text_at(p, "/zen");
  f["hook_id"] = int_at(p, "/hook_id");
  return Severity::Info;
}

// Whether the provider's template says an event: a bind without a template of its own hears only
// what a team wants to read; a bind with its own template hears every event of its topic.
using Said = bool (*)(Value payload);
bool always(Value) { return true; }
// The push event says the same (create and delete are the ref's other half; watch is star's).
bool never(Value) { return false; }
// Not the queued and in-progress states of runs, jobs and checks.
bool completed(Value p) { return text_at(p, "/action") == "completed"; }
// A check run or suite of GitHub Actions is said by its workflow_job or workflow_run event.
bool completed_outside_actions(Value p) {
  const std::string app = text_at(p, "/check_run/app/slug", text_at(p, "/check_suite/app/slug"));
  return completed(p) && app != "github-actions";
}
// "created" comes first and "released"/"prereleased" with it: published says it once.
bool published(Value p) { return text_at(p, "/action") == "published"; }

struct EventMapping {
  std::string_view event;  // X-GitHub-Event
  std::string_view what;   // several of them, in words, for digest lines ("… and 37 more pushes")
  Severity (*map)(Value payload, Fields& fields);
  std::string_view default_template;
  Said said = always;
};

constexpr std::array kEvents{
    EventMapping{"push", "pushes", map_push,
                 "[B]{{repo}}[/B] {{pusher}} {{summary}}{{#forced}} [COLOR=RED](forced)[/COLOR]{{/forced}}"
                 "{{#compare}} {{compare}}{{/compare}}"
                 "{{#commits_shown}}\n  {{id_short}} {{title}} ({{author}}){{/commits_shown}}"
                 "{{#more_commits}}\n  … and {{count}} more{{/more_commits}}"},
    EventMapping{"pull_request", "pull request updates", map_pull_request,
                 "[B]{{repo}}[/B] {{sender}} {{verb}} pull request #{{number}}: {{title}} ({{base}} ← {{head}}) {{url}}"},
    EventMapping{"issues", "issue updates", map_issues, "[B]{{repo}}[/B] {{sender}} {{verb}} issue #{{number}}: {{title}} {{url}}"},
    EventMapping{"issue_comment", "comments", map_issue_comment,
                 "[B]{{repo}}[/B] {{author}} {{verb}} {{#is_pull_request}}pull request{{/is_pull_request}}"
                 "{{^is_pull_request}}issue{{/is_pull_request}} #{{number}} ({{title}}): {{comment}} {{url}}"},
    EventMapping{"release", "release updates", map_release,
                 "[B]{{repo}}[/B] {{sender}} published release [B]{{name}}[/B]{{#tag_shown}} ({{tag_shown}}){{/tag_shown}}"
                 "{{#prerelease}} [pre-release]{{/prerelease}} {{url}}",
                 published},
    EventMapping{"workflow_run", "workflow runs", map_workflow_run,
                 "[B]{{repo}}[/B] workflow [B]{{name}}[/B] #{{run_number}} on {{branch}}: " OUTCOME " {{url}}", completed},
    EventMapping{"workflow_job", "jobs", map_workflow_job,
                 "[B]{{repo}}[/B] job [B]{{name}}[/B] ({{workflow}}) on {{branch}}: " OUTCOME " {{url}}", completed},
    EventMapping{"check_run", "check runs", map_check_run,
                 "[B]{{repo}}[/B] check [B]{{name}}[/B] on {{branch}}: " OUTCOME " {{url}}", completed_outside_actions},
    EventMapping{"check_suite", "check suites", map_check_suite,
                 "[B]{{repo}}[/B] check suite ({{app}}) on {{branch}}: " OUTCOME " {{url}}", completed_outside_actions},
    EventMapping{"create", "new branches and tags", map_ref_event, "[B]{{repo}}[/B] {{sender}} created {{ref_type}} [B]{{ref}}[/B]", never},
    EventMapping{"delete", "deleted branches and tags", map_ref_event, "[B]{{repo}}[/B] {{sender}} deleted {{ref_type}} [B]{{ref}}[/B]", never},
    EventMapping{"watch", "stars", map_star, "[B]{{repo}}[/B] {{sender}} starred the repository (stars: {{stars}})", never},
    EventMapping{"star", "stars", map_star, "[B]{{repo}}[/B] {{sender}} {{verb}} the repository (stars: {{stars}})"},
    EventMapping{"ping", "pings", map_ping, "[B]{{repo}}[/B] GitHub webhook is set up: {{zen}}"},
};

#undef OUTCOME

class GitHubProvider final : public Provider {
 public:
  explicit GitHubProvider(std::string secret)
      : check_({.header = "X-Hub-Signature-256",
                .digest = crypto::Digest::Sha256,
                .secret = std::move(secret),
                .encoding = SignatureEncoding::Hex,
                .prefix = "sha256="}) {}

  std::optional<Rejection> authenticate(const Request& request) const override { return check_.verify(request); }

  std::expected<Parsed, Rejection> parse(const Request& request) const override {
    const auto event = request.header("X-GitHub-Event");
    if (!event || !is_token(*event)) return std::unexpected(bad_request("missing_event", "missing X-GitHub-Event header"));
    const auto mapping = std::ranges::find(kEvents, *event, &EventMapping::event);
    if (mapping == kEvents.end()) return Parsed{{}, "unmapped GitHub event " + *event};

    auto body = parse_json_body(request);
    if (!body) return std::unexpected(body.error());
    const Value payload = body->root();
    if (!payload.is_object()) return std::unexpected(bad_request("malformed_json", "payload is not a JSON object"));

    IngestionEvent e;
    e.topic = "github/" + *event;
    Fields f;
    f["event"] = *event;
    f["what"] = mapping->what;
    f["action"] = text_at(payload, "/action");
    f["repo"] = text_at(payload, "/repository/full_name", text_at(payload, "/organization/login"));
    f["sender"] = text_at(payload, "/sender/login");
    f["url"] = text_at(payload, "/repository/html_url");  // an event's own link replaces it
    e.severity = mapping->map(payload, f);
    e.fields = EventFields::from_text(std::move(f).text());
    e.raw = body->text();
    e.default_template = std::string(mapping->said(payload) ? mapping->default_template : kQuietTemplate);
    if (const auto delivery = request.header("X-GitHub-Delivery"); delivery && is_token(*delivery))
      e.dedupe_key = *delivery;
    e.time = request.received;
    return Parsed{{std::move(e)}, {}};
  }

 private:
  HmacCheck check_;
};

config::Schema github_schema() {
  config::Schema s("github", "GitHub webhook (content type application/json or form).");
  s.field("secret", config::Kind::Secret, "The webhook's secret; X-Hub-Signature-256 is checked against it.")
      .required();
  return s;
}

}  // namespace

ProviderSpec github_spec() {
  return {
      .name = "github",
      .doc = "GitHub repository and organisation webhooks, signed with X-Hub-Signature-256. "
             "Topics are github/<X-GitHub-Event>; the action is in the `action` field.",
      .schema = github_schema,
      .make = [](const config::Node& validated) -> Result<std::unique_ptr<Provider>> {
        const std::string secret = validated.str("secret");
        if (secret.empty()) return std::unexpected(validated["secret"].error("secret is empty"));
        return std::make_unique<GitHubProvider>(secret);
      },
  };
}

}  // namespace chatops::ingestion::webhook
