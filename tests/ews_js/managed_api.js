// One step of the propose-new-time workflow through ews-javascript-api, the JavaScript
// port of Microsoft's EWS Managed API, used as a client would use it. Arguments come
// from the environment (EWS_URL, EWS_USER, EWS_PASSWORD, STEP, ...); the result is one
// JSON object on stdout, an error is {"error": "..."} with exit status 1.
"use strict";
const ews = require("ews-javascript-api");

function service() {
  const s = new ews.ExchangeService(ews.ExchangeVersion.Exchange2013);
  s.Credentials = new ews.WebCredentials(process.env.EWS_USER, process.env.EWS_PASSWORD);
  s.Url = new ews.Uri(process.env.EWS_URL);
  return s;
}

function iso(dateTime) {
  return dateTime ? dateTime.ToISOString() : null;
}

const steps = {
  // The organizer invites: an Appointment with attendees, saved with invitations.
  async invite(s) {
    const meeting = new ews.Appointment(s);
    meeting.Subject = process.env.SUBJECT;
    meeting.Start = new ews.DateTime(process.env.START);
    meeting.End = new ews.DateTime(process.env.END);
    meeting.AllowNewTimeProposal = true;
    for (const who of process.env.ATTENDEES.split(",")) meeting.RequiredAttendees.Add(who);
    await meeting.Save(ews.WellKnownFolderName.Calendar, ews.SendInvitationsMode.SendToAllAndSaveCopy);
    return { id: meeting.Id.UniqueId };
  },

  // The organizer finds the newest MeetingResponse that carries a proposal, reads it,
  // binds the meeting it names (AssociatedCalendarItemId) and moves it there.
  async review(s) {
    const view = new ews.ItemView(50);
    view.OrderBy.Add(ews.ItemSchema.DateTimeReceived, ews.SortDirection.Descending);
    const filter = new ews.SearchFilter.ContainsSubstring(ews.ItemSchema.Subject, "New Time Proposed: ");
    const found = await s.FindItems(ews.WellKnownFolderName.Inbox, filter, view);
    if (found.Items.length === 0) throw new Error("no MeetingResponse with a proposal in the Inbox");
    const props = new ews.PropertySet(ews.BasePropertySet.FirstClassProperties,
      [ews.MeetingResponseSchema.ProposedStart, ews.MeetingResponseSchema.ProposedEnd]);
    const response = await ews.MeetingResponse.Bind(s, found.Items[0].Id, props);
    const meeting = await ews.Appointment.Bind(s, response.AssociatedAppointmentId);
    const result = {
      subject: response.Subject, class: response.ItemClass,
      proposed_start: iso(response.ProposedStart), proposed_end: iso(response.ProposedEnd),
      meeting_id: meeting.Id.UniqueId, was: iso(meeting.Start),
    };
    meeting.Start = response.ProposedStart;
    meeting.End = response.ProposedEnd;
    await meeting.Update(ews.ConflictResolutionMode.AlwaysOverwrite,
      ews.SendInvitationsOrCancellationsMode.SendToAllAndSaveCopy);
    const moved = await ews.Appointment.Bind(s, meeting.Id);
    result.now = iso(moved.Start);
    return result;
  },

  // The attendee's Inbox: each meeting request with its type and time.
  async requests(s) {
    const found = await s.FindItems(ews.WellKnownFolderName.Inbox, new ews.ItemView(50));
    const out = [];
    for (const item of found.Items) {
      if (!(item.ItemClass || "").startsWith("IPM.Schedule.Meeting.Request")) continue;
      const request = await ews.MeetingRequest.Bind(s, item.Id);
      out.push({ subject: request.Subject, type: ews.MeetingRequestType[request.MeetingRequestType],
                 start: iso(request.Start) });
    }
    return { requests: out };
  },

  // GetUserAvailability with free/busy and suggestions: the organizer checks who is
  // free before proposing or moving (ATTENDEES, START, END, DURATION minutes).
  async suggest(s) {
    const people = process.env.ATTENDEES.split(",").map((who) => new ews.AttendeeInfo(who));
    const window = new ews.TimeWindow(new ews.DateTime(process.env.START), new ews.DateTime(process.env.END));
    const options = new ews.AvailabilityOptions();
    options.MeetingDuration = Number(process.env.DURATION);
    options.MaximumSuggestionsPerDay = 48;
    options.GoodSuggestionThreshold = 25;
    options.MinimumSuggestionQuality = ews.SuggestionQuality.Poor;
    options.DetailedSuggestionsWindow = window;
    const results = await s.GetUserAvailability(people, window, ews.AvailabilityData.FreeBusyAndSuggestions,
      options);
    const hours = [];
    for (const a of results.AttendeesAvailability.Responses) {
      const w = a.WorkingHours;
      hours.push(w ? { days: w.DaysOfTheWeek.map((d) => ews.DayOfTheWeek[d]),
                       start: w.StartTime.TotalMinutes, end: w.EndTime.TotalMinutes } : null);
    }
    const days = results.Suggestions.map((day) => ({
      quality: ews.SuggestionQuality[day.Quality],
      times: day.TimeSuggestions.map((t) => ({ at: iso(t.MeetingTime), quality: ews.SuggestionQuality[t.Quality],
                                               work: t.IsWorkTime, conflicts: t.Conflicts.length })),
    }));
    return { hours, days };
  },

  // The organizer cancels a meeting (MEETING_ID), or with INDEX one occurrence of the
  // series (Appointment.BindToOccurrence), sending COMMENT with the cancellation.
  async cancel(s) {
    const meeting = process.env.INDEX
      ? await ews.Appointment.BindToOccurrence(s, new ews.ItemId(process.env.MEETING_ID), Number(process.env.INDEX))
      : await ews.Appointment.Bind(s, new ews.ItemId(process.env.MEETING_ID));
    await meeting.CancelMeeting(process.env.COMMENT);
    return { cancelled: iso(meeting.Start), type: ews.AppointmentType[meeting.AppointmentType] };
  },

  // The attendee reads the newest MeetingCancellation in the Inbox and removes the
  // meeting from the calendar; then lists the calendar's subjects.
  async remove(s) {
    const view = new ews.ItemView(50);
    view.OrderBy.Add(ews.ItemSchema.DateTimeReceived, ews.SortDirection.Descending);
    const found = await s.FindItems(ews.WellKnownFolderName.Inbox, view);
    const notice = found.Items.find((i) => (i.ItemClass || "").startsWith("IPM.Schedule.Meeting.Canceled"));
    if (!notice) throw new Error("no MeetingCancellation in the Inbox");
    const cancellation = await ews.MeetingCancellation.Bind(s, notice.Id);
    const body = cancellation.Body ? cancellation.Body.Text : "";
    await cancellation.RemoveMeetingFromCalendar();
    const left = await s.FindItems(ews.WellKnownFolderName.Calendar, new ews.ItemView(50));
    return { subject: cancellation.Subject, body, calendar: left.Items.map((i) => i.Subject) };
  },

  // SOAP Autodiscover with an explicit URL: what the Managed API does after DNS.
  async autodiscover() {
    const ad = new ews.AutodiscoverService(new ews.Uri(process.env.AUTODISCOVER_URL),
      ews.ExchangeVersion.Exchange2013);
    ad.Credentials = new ews.WebCredentials(process.env.EWS_USER, process.env.EWS_PASSWORD);
    const settings = await ad.GetUserSettings(process.env.EWS_USER,
      [ews.UserSettingName.UserDisplayName, ews.UserSettingName.ExternalEwsUrl]);
    const get = (name) => settings.Settings[name] !== undefined ? settings.Settings[name]
      : settings.Settings.get(name);
    return { error_code: ews.AutodiscoverErrorCode[settings.ErrorCode],
             display_name: get(ews.UserSettingName.UserDisplayName),
             ews_url: get(ews.UserSettingName.ExternalEwsUrl) };
  },
};

(async () => {
  try {
    const step = steps[process.env.STEP];
    if (!step) throw new Error(`unknown STEP ${process.env.STEP}`);
    process.stdout.write(JSON.stringify(await step(service())) + "\n");
  } catch (err) {
    process.stdout.write(JSON.stringify({ error: String(err && (err.message || err.toString())) }) + "\n");
    process.exitCode = 1;
  }
})();
