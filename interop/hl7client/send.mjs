// Sends HL7 v2 messages to carerecord's MLLP listener with node-hl7-client,
// an MLLP client from npm that knows nothing of carerecord, and checks each
// acknowledgement. Run by internal/server/hl7client_test.go:
//
//   MLLP_ADDR=127.0.0.1:PORT PATIENT='{"nhs":...}' node send.mjs
//
// PATIENT is a synthetic patient: nhs (a 999 test number), mrn, family,
// given, birthDate (YYYYMMDD), sex (F or M). The script sends an ADT^A01
// admission and an ORU^R01 result for them, both built with the library's
// HL7 v2.4 builder, and one malformed message (a line break inside a
// result's text: a line that is not a segment). It prints every ACK and
// exits 1 unless the good ones get AA and the bad one AR or AE, each
// echoing its control id in MSA-2.

import Client, { HL7_2_4, Message } from "node-hl7-client";

const addr = process.env.MLLP_ADDR ?? "";
const sep = addr.lastIndexOf(":");
if (sep < 0) {
  console.error("MLLP_ADDR must be host:port");
  process.exit(2);
}
const host = addr.slice(0, sep);
const port = Number(addr.slice(sep + 1));
const patient = JSON.parse(process.env.PATIENT ?? "null");
if (!patient?.nhs?.startsWith("999")) {
  console.error("PATIENT must name a synthetic patient with a 999 NHS number");
  process.exit(2);
}

const now = new Date();
const header = (code, event, control) => ({
  msh_3: "NODE-HL7-CLIENT",
  msh_4: "RZ9",
  msh_5: "CARERECORD",
  msh_6: "QZ9",
  msh_9_1: code,
  msh_9_2: event,
  msh_10: control,
  msh_11_1: "P",
});
// PID-3 holds the MRN; the NHS number is added below as its second
// repetition (the builder takes one identifier per field).
const pid = {
  pid_1: "1",
  pid_3: `${patient.mrn}^^^RZ9MRN^MR`,
  pid_5: `${patient.family}^${patient.given}^^^^^L`,
  pid_7: patient.birthDate,
  pid_8: patient.sex,
};

const withNHSNumber = (message) => {
  message.set("PID.3").set(1, `${patient.nhs}^^^NHS^NH`);
  return message;
};

const admission = withNHSNumber(new HL7_2_4()
  .buildMSH(header("ADT", "A01", "NODEADT01"))
  .buildEVN({ evn_1: "A01", evn_2: now })
  .buildPID(pid)
  .buildPV1({ pv1_1: "1", pv1_2: "I", pv1_3: "AMU^1^2^RZ9", pv1_19: "NODEVISIT01", pv1_44: now })
  .toMessage());

const result = withNHSNumber(new HL7_2_4()
  .buildMSH(header("ORU", "R01", "NODEORU01"))
  .buildPID(pid)
  .buildPV1({ pv1_1: "1", pv1_2: "I", pv1_3: "AMU^1^2^RZ9", pv1_19: "NODEVISIT01" })
  .buildOBR({ obr_1: "1", obr_3: "NODEFILLER01", obr_4: "UE^Urea and electrolytes^WYVPATH", obr_7: now, obr_25: "F" })
  .buildOBX({
    obx_1: "1",
    obx_2: "NM",
    obx_3: "2823-3^Potassium^LN",
    obx_5: "4.2",
    obx_6: "mmol/L^mmol/L^UCUM",
    obx_7: "3.5-5.3",
    obx_8: "N",
    obx_11: "F",
  })
  .toMessage());

// A sender that lets a raw line break into a text value: the second line
// is no segment, so the whole message cannot be parsed.
const good = withNHSNumber(new HL7_2_4()
  .buildMSH(header("ORU", "R01", "NODEBAD01"))
  .buildPID(pid)
  .buildOBR({ obr_1: "1", obr_3: "NODEFILLER02", obr_4: "COMMENT^Comment^WYVPATH", obr_25: "F" })
  .toMessage()).toString();
const malformed = new Message({ text: `${good}\rOBX|1|TX|COMMENT^Comment^WYVPATH||Sample haemolysed,\rplease repeat.||||||F` });

const sends = [
  { name: "ADT^A01 admission", message: admission, control: "NODEADT01", want: ["AA"] },
  { name: "ORU^R01 result", message: result, control: "NODEORU01", want: ["AA"] },
  { name: "malformed ORU^R01", message: malformed, control: "NODEBAD01", want: ["AR", "AE"] },
];

let deliver = null;
const client = new Client({ host, version: "2.4", connectionTimeout: 10000 });
const conn = client.createConnection({ port, waitAck: true, maxConnectionAttempts: 3 }, async (res) => {
  const ack = res.getMessage();
  const got = { code: ack.get("MSA.1").toString(), control: ack.get("MSA.2").toString(), text: ack.toString() };
  if (deliver) {
    deliver(got);
  } else {
    console.log(`unexpected ACK: ${got.text.replaceAll("\r", "\n  ")}`);
  }
});
conn.on("client.error", (err) => console.error(`connection error: ${err?.message ?? err}`));

const failures = [];
for (const s of sends) {
  const ack = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), 15000);
    deliver = (got) => {
      clearTimeout(timer);
      resolve(got);
    };
    conn.sendMessage(s.message).catch((err) => {
      clearTimeout(timer);
      console.error(`${s.name}: send failed: ${err.message}`);
      resolve(null);
    });
  });
  deliver = null;
  if (ack === null) {
    failures.push(`${s.name}: no acknowledgement`);
    continue;
  }
  console.log(`${s.name} (${s.control}): ${ack.code}\n  ${ack.text.trim().replaceAll("\r", "\n  ")}`);
  if (!s.want.includes(ack.code)) {
    failures.push(`${s.name}: ACK ${ack.code}, want ${s.want.join(" or ")}`);
  }
  if (ack.control !== s.control) {
    failures.push(`${s.name}: MSA-2 ${ack.control}, want ${s.control}`);
  }
}
await conn.close();
await client.closeAll?.();
if (failures.length > 0) {
  console.error(`FAILED:\n  ${failures.join("\n  ")}`);
  process.exit(1);
}
console.log(`all ${sends.length} acknowledgements as expected`);
process.exit(0);
