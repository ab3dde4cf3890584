// Alarms of a console, and what a console tells the people around it.
//
// An alarm rule is a condition the console evaluates at each of its rule ticks (the Impella
// console: 10 Hz). The alarm is raised once its condition has held for `delay_s` (its persistence:
// the price of no false alarms, and most of its latency) and cleared once the condition has been
// absent for `clear_s`. A raised alarm latches: it stays displayed, even after it clears, until the
// operator acknowledges it. It sounds while it is displayed, not acknowledged and not muted. Muting
// silences, for the console's mute time, the alarms of the same or lower priority than the highest
// one sounding at that moment; an alarm of higher priority raised meanwhile sounds (devices.md 1.3:
// "after muting, a new alarm is heard only if its priority is higher"; Automated Impella Controller
// IFU).
//
// Everything the board does is reported as a ConsoleMessage to a listener (alarms.csv, the audit
// log, a live front end). The listener observes: it is not part of the console's state.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace unload::control {

enum class Priority : std::uint8_t { advisory, serious, critical };
std::string_view priority_name(Priority p);
// "advisory", "serious", "critical"; false when `name` is none of them.
bool parse_priority(std::string_view name, Priority& out);

enum class MessageKind : std::uint8_t {
  alarm_raised,
  alarm_acknowledged,
  alarm_muted,
  alarm_cleared,
  mode_change,      // the console's mode or level changed (text says which)
  check_confirmed,  // the operator confirmed a regular check
  advice,           // what the instructions advise now (e.g. pull the pump out of the ventricle)
  operator_input,   // an input the console took (or refused: text says why)
};
std::string_view message_kind_name(MessageKind k);

// One thing a console reports. Views point into the console's configuration: they live as long
// as the console.
struct ConsoleMessage {
  double t_s = 0;
  MessageKind kind = MessageKind::mode_change;
  std::string_view name;  // alarm or check name, or the mode ("AUTO", "P-8", "BOOST", ...)
  std::string_view text;  // as displayed
  Priority priority = Priority::advisory;
  std::uint32_t device = 0;
};

class ConsoleListener {
 public:
  virtual ~ConsoleListener() = default;
  virtual void on_console_message(const ConsoleMessage& message) = 0;
};

// An alarm's fixed description (from the console's data file).
struct AlarmSpec {
  std::string name;  // stable key (alarms.csv, audit): e.g. "pump_stopped"
  std::string text;  // as on the console: e.g. "Impella Stopped"
  Priority priority = Priority::advisory;
  double delay_s = 0;  // condition must hold this long before the alarm is raised
  double clear_s = 0;  // and be absent this long before it clears
};

// The alarms of one console. Fixed size once built; update() allocates nothing.
class AlarmBoard {
 public:
  explicit AlarmBoard(std::vector<AlarmSpec> specs, double mute_s);

  std::size_t size() const { return specs_.size(); }
  const AlarmSpec& spec(std::size_t i) const { return specs_[i]; }
  void set_listener(ConsoleListener* listener, std::uint32_t device) {
    listener_ = listener;
    device_ = device;
  }

  // The condition of alarm i at time t (call once per rule tick for every alarm). Inline for the
  // usual case, an absent condition of an alarm that is not active: nothing to do but forget its
  // start.
  void update(std::size_t i, bool condition, double t_s) {
    Slot& s = slots_[i];
    if (!condition && !s.active) {
      s.since = -1;
      return;
    }
    change(i, condition, t_s);
  }
  void acknowledge(double t_s);
  void mute(double t_s);

  bool active(std::size_t i) const { return slots_[i].active; }      // raised, not cleared
  bool displayed(std::size_t i) const { return slots_[i].latched; }  // active or unacknowledged
  bool sounding(std::size_t i, double t_s) const;
  // How many alarms of each priority were raised so far.
  int raised_count(Priority p) const { return raised_[static_cast<int>(p)]; }

  void save_state(std::vector<double>& out) const;
  // Reads what save_state wrote from in[at...]; returns the position after it. Throws InputError.
  std::size_t load_state(std::span<const double> in, std::size_t at);

 private:
  struct Slot {
    double since = -1;         // condition true since (-1: false)
    double absent_since = -1;  // condition false since, while active (-1: n/a)
    bool active = false, latched = false, acknowledged = false;
  };
  void report(double t_s, std::size_t i, MessageKind kind) const;
  // update() for a present condition or an active alarm.
  void change(std::size_t i, bool condition, double t_s);

  std::vector<AlarmSpec> specs_;
  std::vector<Slot> slots_;
  double mute_s_;
  double muted_until_ = -1;
  Priority muted_priority_ = Priority::advisory;
  int raised_[3] = {0, 0, 0};
  ConsoleListener* listener_ = nullptr;
  std::uint32_t device_ = 0;
};

}  // namespace unload::control
