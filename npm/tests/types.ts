// Type-checked (`tsc`, strict) against the installed npm package: the declarations a
// TypeScript user gets are the core's generated types, and they reject what the core rejects
// where a type can say so. Never run; a wrong declaration fails the compile.
import {
  catalog,
  decide,
  decideMany,
  explain,
  exposure,
  fix,
  type Catalog,
  type Decision,
  type ErrorObject,
  type Explanation,
  type Exposure,
  type FixAnswer,
  type Level,
  type Reach,
  type ReasonCode,
  type Request,
} from "onbehalf";

const request: Request = {
  level: "impersonation",
  transport: "ncacn_ip_tcp",
  server: "remote",
  auth: "ntlm",
  delegation: { server_trust: "constrained", allowed_targets: ["MSSQLSvc/db1.contoso.com:1433"] },
  hops: [{ target: "MSSQLSvc/db1.contoso.com:1433" }],
};
const decision: Decision = decide(request);
const level: Level = decision.effective;
const reach: Reach = decision.reach;
const reasons: ReasonCode[] = decision.reasons;
const allowed: boolean | undefined = decision.hops[0]?.allowed;
const explanation: Explanation = explain(request);
const many: (Decision | ErrorObject)[] = decideMany([request, { level: "identify" }]);
const answer: FixAnswer = fix(request);
const summary: string | undefined = answer.fixes[0]?.summary;
const exposed: Exposure = exposure(request);
const cat: Catalog = catalog();

// @ts-expect-error: not a level the spec knows
decide({ level: "superuser" });
// @ts-expect-error: the level is required
decide({ transport: "ncalrpc" });
// @ts-expect-error: an answer's level is never a request spelling
const wrong: Level = "impersonate";

export { many, level, reach, reasons, allowed, explanation, summary, exposed, cat, wrong };
