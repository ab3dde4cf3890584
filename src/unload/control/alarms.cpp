#include "unload/control/alarms.hpp"

#include <algorithm>
#include <string>

#include "unload/core/error.hpp"

namespace unload::control {

std::string_view priority_name(Priority p) {
  switch (p) {
    case Priority::advisory:
      return "advisory";
    case Priority::serious:
      return "serious";
    case Priority::critical:
      return "critical";
  }
  return "advisory";
}

bool parse_priority(std::string_view name, Priority& out) {
  for (Priority p : {Priority::advisory, Priority::serious, Priority::critical}) {
    if (name == priority_name(p)) {
      out = p;
      return true;
    }
  }
  return false;
}

std::string_view message_kind_name(MessageKind k) {
  switch (k) {
    case MessageKind::alarm_raised:
      return "raised";
    case MessageKind::alarm_acknowledged:
      return "acknowledged";
    case MessageKind::alarm_muted:
      return "muted";
    case MessageKind::alarm_cleared:
      return "cleared";
    case MessageKind::mode_change:
      return "mode_change";
    case MessageKind::check_confirmed:
      return "check_confirmed";
    case MessageKind::advice:
      return "advice";
    case MessageKind::operator_input:
      return "operator_input";
  }
  return "";
}

AlarmBoard::AlarmBoard(std::vector<AlarmSpec> specs, double mute_s)
    : specs_(std::move(specs)), slots_(specs_.size()), mute_s_(mute_s) {}

void AlarmBoard::report(double t_s, std::size_t i, MessageKind kind) const {
  if (!listener_) return;
  ConsoleMessage m;
  m.t_s = t_s;
  m.kind = kind;
  m.name = specs_[i].name;
  m.text = specs_[i].text;
  m.priority = specs_[i].priority;
  m.device = device_;
  listener_->on_console_message(m);
}

void AlarmBoard::change(std::size_t i, bool condition, double t_s) {
  Slot& s = slots_[i];
  const AlarmSpec& spec = specs_[i];
  if (condition) {
    s.absent_since = -1;
    if (s.since < 0) s.since = t_s;
    if (!s.active && t_s - s.since >= spec.delay_s - 1e-9) {
      s.active = s.latched = true;
      s.acknowledged = false;
      ++raised_[static_cast<int>(spec.priority)];
      report(t_s, i, MessageKind::alarm_raised);
    }
    return;
  }
  s.since = -1;
  if (!s.active) return;
  if (s.absent_since < 0) s.absent_since = t_s;
  if (t_s - s.absent_since >= spec.clear_s - 1e-9) {
    s.active = false;
    s.absent_since = -1;
    if (s.acknowledged) s.latched = false;
    report(t_s, i, MessageKind::alarm_cleared);
  }
}

void AlarmBoard::acknowledge(double t_s) {
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    Slot& s = slots_[i];
    if (!s.latched || s.acknowledged) continue;
    s.acknowledged = true;
    if (!s.active) s.latched = false;
    report(t_s, i, MessageKind::alarm_acknowledged);
  }
}

void AlarmBoard::mute(double t_s) {
  bool any = false;
  Priority highest = Priority::advisory;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (!sounding(i, t_s)) continue;
    highest = any ? std::max(highest, specs_[i].priority) : specs_[i].priority;
    any = true;
  }
  if (!any) return;
  muted_priority_ = highest;
  muted_until_ = t_s + mute_s_;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].latched && !slots_[i].acknowledged && specs_[i].priority <= highest) {
      report(t_s, i, MessageKind::alarm_muted);
    }
  }
}

bool AlarmBoard::sounding(std::size_t i, double t_s) const {
  const Slot& s = slots_[i];
  if (!s.latched || s.acknowledged) return false;
  return !(t_s < muted_until_ && specs_[i].priority <= muted_priority_);
}

// Layout: muted_until, muted_priority, raised x 3, then per slot: since, absent_since, flags.
void AlarmBoard::save_state(std::vector<double>& out) const {
  out.push_back(muted_until_);
  out.push_back(static_cast<double>(muted_priority_));
  for (int r : raised_) out.push_back(r);
  for (const Slot& s : slots_) {
    out.insert(out.end(),
               {s.since, s.absent_since,
                (s.active ? 1.0 : 0.0) + (s.latched ? 2.0 : 0.0) + (s.acknowledged ? 4.0 : 0.0)});
  }
}

std::size_t AlarmBoard::load_state(std::span<const double> in, std::size_t at) {
  if (in.size() < at + 5 + 3 * slots_.size()) {
    throw InputError("console alarms: the saved state does not fit");
  }
  muted_until_ = in[at++];
  const double p = in[at++];
  if (!(p >= 0 && p <= 2)) throw InputError("console alarms: bad saved priority");
  muted_priority_ = static_cast<Priority>(static_cast<int>(p));
  for (int& r : raised_) r = static_cast<int>(in[at++]);
  for (Slot& s : slots_) {
    s.since = in[at++];
    s.absent_since = in[at++];
    const int flags = static_cast<int>(in[at++]);
    s.active = flags & 1;
    s.latched = flags & 2;
    s.acknowledged = flags & 4;
  }
  return at;
}

}  // namespace unload::control
