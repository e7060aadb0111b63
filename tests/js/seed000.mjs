// Seed 000's propose-new-time walkthrough, played by Microsoft's JavaScript Graph SDK
// (@microsoft/microsoft-graph-client, unchanged) against the emulator.
// Usage: GRAPH_BASE=http://127.0.0.1:PORT ORGANIZER_TOKEN=... ATTENDEE_TOKEN=... node seed000.mjs
// Exits 0 when every check passed; prints one JSON line of what it saw.
import assert from "node:assert/strict";
import { Client, MiddlewareFactory } from "@microsoft/microsoft-graph-client";

const base = process.env.GRAPH_BASE;
const host = new URL(base).hostname;
const PST = "Pacific Standard Time";
const PREFER = `outlook.timezone="${PST}"`;

// Over plain http the SDK's own auth handler sends no Authorization header (it only trusts
// https hosts): a small middleware after it adds the bearer token; the rest of the SDK's
// default chain (retry, redirect, telemetry, fetch) is kept as it is.
class BearerOverHttp {
  constructor(token) { this.token = token; }
  async execute(context) {
    context.options.headers = { ...(context.options.headers || {}), Authorization: `Bearer ${this.token}` };
    return this.next.execute(context);
  }
  setNext(next) { this.next = next; }
}

function client(token) {
  const authProvider = { getAccessToken: async () => token };
  const middleware = MiddlewareFactory.getDefaultMiddlewareChain(authProvider);
  middleware.splice(1, 0, new BearerOverHttp(token));
  const graph = Client.initWithMiddleware({ baseUrl: base, defaultVersion: "v1.0", customHosts: new Set([host]), middleware });
  return (path) => graph.api(path);
}

const alex = client(process.env.ORGANIZER_TOKEN);
const adele = client(process.env.ATTENDEE_TOKEN);

// 1. The organizer invites, allowing proposals.
const event = await alex("/me/events").header("Prefer", PREFER).post({
  subject: "Let's go for lunch",
  body: { contentType: "HTML", content: "Does noon work for you?" },
  start: { dateTime: "2019-08-15T12:00:00", timeZone: PST },
  end: { dateTime: "2019-08-15T14:00:00", timeZone: PST },
  allowNewTimeProposals: true,
  location: { displayName: "Harry's Bar" },
  attendees: [{ emailAddress: { address: "AdeleV@contoso.com", name: "Adele Vance" }, type: "required" }],
});
assert.equal(event.start.dateTime, "2019-08-15T12:00:00.0000000");
assert.equal(event.start.timeZone, PST);
assert.deepEqual(event.responseStatus, { response: "organizer", time: "0001-01-01T00:00:00Z" });
assert.equal(event.attendees[0].status.response, "none");
assert.equal(event.allowNewTimeProposals, true);

// 2. The attendee finds the eventMessageRequest and its event, and proposes the next day.
const inbox = await adele("/me/messages").expand("microsoft.graph.eventMessage/event").get();
const request = inbox.value[0];
assert.equal(request["@odata.type"], "#microsoft.graph.eventMessageRequest");
assert.equal(request.allowNewTimeProposals, true);
const answer = await adele(`/me/events/${request.event.id}/tentativelyAccept`).post({
  comment: "Can you make the next day instead?",
  sendResponse: "true",
  proposedNewTime: {
    Start: { DateTime: "2019-08-16T12:00:00", TimeZone: PST },
    End: { DateTime: "2019-08-16T14:00:00", TimeZone: PST },
  },
});
assert.ok(answer === undefined || answer === null || answer === "" || Object.keys(answer).length === 0);

// 3. The organizer's newest message is the eventMessageResponse.
const page = await alex("/me/messages").header("Prefer", PREFER).top(1).get();
const reply = page.value[0];
assert.ok(page["@odata.nextLink"].includes("$skip=1"));
assert.equal(reply["@odata.type"], "#microsoft.graph.eventMessageResponse");
assert.equal(reply.subject, "New Time Proposed: Let's go for lunch");
assert.equal(reply.sender.emailAddress.name, "Adele Vance");
assert.equal(reply.responseType, "tentativelyAccepted");
assert.equal(reply.proposedNewTime.start.dateTime, "2019-08-16T12:00:00.0000000");

// 4. The organizer's event shows the proposal on the attendee.
const shown = await alex(`/me/events/${event.id}`).header("Prefer", PREFER)
  .select(["subject", "allowNewTimeProposals", "start", "end", "attendees", "organizer"]).get();
assert.equal(shown.attendees[0].status.response, "tentativelyAccepted");
assert.equal(shown.attendees[0].proposedNewTime.end.dateTime, "2019-08-16T14:00:00.0000000");
assert.equal(shown.body, undefined);

// 5. The organizer moves the meeting to the proposal.
const moved = await alex(`/me/events/${event.id}`).header("Prefer", PREFER)
  .patch({ start: reply.proposedNewTime.start, end: reply.proposedNewTime.end });
assert.equal(moved.start.dateTime, "2019-08-16T12:00:00.0000000");
assert.deepEqual(moved.attendees[0].status, { response: "notResponded", time: "4501-01-01T00:00:00Z" });

// Errors come back as GraphError with Graph's code.
try {
  await adele(`/me/events/${event.id}`).get();
  assert.fail("another mailbox's event was readable");
} catch (error) {
  assert.equal(error.statusCode, 404);
  assert.equal(error.code, "ErrorItemNotFound");
}

console.log(JSON.stringify({ ok: true, event: event.id, reply: reply.subject, moved: moved.start.dateTime }));
