// Drives a running carerecord with fhir-kit-client, a standard FHIR client
// from npm: capability, CRUD, versions, conditional create, patch, history,
// paging, a search with _include paged forward and back, a transaction and
// a batch. Each step checks what the client got
// back and the script exits non-zero with the failing step's name.
//
// Usage: FHIR_BASE=http://127.0.0.1:8080/fhir node crud.mjs
import assert from 'node:assert/strict';
import { Client } from 'fhir-kit-client';

const baseUrl = process.env.FHIR_BASE;
if (!baseUrl) {
  console.error('set FHIR_BASE to the server base URL, e.g. http://127.0.0.1:8080/fhir');
  process.exit(2);
}
const client = new Client({ baseUrl });
const nhs = { system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9990000018' };

async function step(name, fn) {
  try {
    await fn();
    console.log(`ok   ${name}`);
  } catch (err) {
    console.log(`FAIL ${name}: ${err.message ?? err}`);
    if (err.response) console.log(JSON.stringify(err.response.data ?? err.response));
    process.exit(1);
  }
}

let patient;

await step('capability statement', async () => {
  const cs = await client.capabilityStatement();
  assert.equal(cs.resourceType, 'CapabilityStatement');
  assert.equal(cs.fhirVersion, '4.0.1');
  const types = cs.rest[0].resource.map((r) => r.type);
  assert.ok(types.includes('Patient'), 'Patient is supported');
});

await step('create', async () => {
  patient = await client.create({
    resourceType: 'Patient',
    body: { resourceType: 'Patient', identifier: [nhs], name: [{ family: 'Kit', given: ['Fhir'] }] },
  });
  assert.equal(patient.resourceType, 'Patient');
  assert.ok(patient.id, 'the server assigned an id');
  assert.equal(patient.meta.versionId, '1');
});

await step('read', async () => {
  const got = await client.read({ resourceType: 'Patient', id: patient.id });
  assert.equal(got.name[0].family, 'Kit');
  assert.deepEqual(got.identifier[0], nhs);
});

await step('update', async () => {
  const body = { ...patient, name: [{ family: 'Kit', given: ['Fhir', 'Client'] }] };
  const got = await client.update({ resourceType: 'Patient', id: patient.id, body });
  assert.equal(got.meta.versionId, '2');
});

await step('vread of the first version', async () => {
  const v1 = await client.vread({ resourceType: 'Patient', id: patient.id, version: '1' });
  assert.deepEqual(v1.name[0].given, ['Fhir']);
});

await step('conditional create finds the existing patient', async () => {
  const got = await client.create({
    resourceType: 'Patient',
    body: { resourceType: 'Patient', identifier: [nhs] },
    options: { headers: { 'If-None-Exist': `identifier=${nhs.system}|${nhs.value}` } },
  });
  assert.equal(got.id, patient.id);
});

await step('JSON patch', async () => {
  const got = await client.patch({
    resourceType: 'Patient',
    id: patient.id,
    jsonPatch: [{ op: 'add', path: '/active', value: true }],
  });
  assert.equal(got.active, true);
  assert.equal(got.meta.versionId, '3');
});

await step('search by identifier', async () => {
  const bundle = await client.search({
    resourceType: 'Patient',
    searchParams: { identifier: `${nhs.system}|${nhs.value}` },
  });
  assert.equal(bundle.type, 'searchset');
  assert.deepEqual(bundle.entry.map((e) => e.resource.id), [patient.id]);
});

await step('instance history', async () => {
  const bundle = await client.history({ resourceType: 'Patient', id: patient.id });
  assert.equal(bundle.type, 'history');
  assert.deepEqual(bundle.entry.map((e) => e.resource.meta.versionId), ['3', '2', '1']);
});

await step('transaction with urn:uuid references', async () => {
  const resp = await client.transaction({
    body: {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:0b4f0a0e-1111-4a6c-9a52-000000000001',
          resource: { resourceType: 'Patient', name: [{ family: 'Transaction' }] },
          request: { method: 'POST', url: 'Patient' },
        },
        {
          resource: {
            resourceType: 'Observation',
            status: 'final',
            code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
            subject: { reference: 'urn:uuid:0b4f0a0e-1111-4a6c-9a52-000000000001' },
            valueQuantity: { value: 72, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
          },
          request: { method: 'POST', url: 'Observation' },
        },
      ],
    },
    options: { keepalive: false },
  });
  assert.equal(resp.type, 'transaction-response');
  assert.equal(resp.entry.length, 2);
  assert.match(resp.entry[0].response.status, /^201/);
  const obsID = resp.entry[1].response.location.split('/')[1];
  const obs = await client.read({ resourceType: 'Observation', id: obsID });
  const patID = resp.entry[0].response.location.split('/')[1];
  assert.equal(obs.subject.reference, `Patient/${patID}`);
});

await step('batch with a read and a failing entry', async () => {
  const resp = await client.batch({
    body: {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { request: { method: 'GET', url: `Patient/${patient.id}` } },
        { request: { method: 'GET', url: 'Patient/does-not-exist' } },
      ],
    },
  });
  assert.equal(resp.type, 'batch-response');
  assert.match(resp.entry[0].response.status, /^200/);
  assert.match(resp.entry[1].response.status, /^404/);
});

await step('paging with nextPage', async () => {
  for (let i = 0; i < 3; i++) {
    await client.create({ resourceType: 'Practitioner', body: { resourceType: 'Practitioner', name: [{ family: `Pager${i}` }] } });
  }
  let bundle = await client.search({ resourceType: 'Practitioner', searchParams: { _count: '2' } });
  const seen = new Set();
  let pages = 0;
  while (bundle) {
    pages++;
    for (const e of bundle.entry ?? []) seen.add(e.resource.id);
    bundle = await client.nextPage({ bundle });
  }
  assert.ok(pages >= 2, `more than one page (got ${pages})`);
  assert.ok(seen.size >= 3, `every practitioner seen once (got ${seen.size})`);
});

await step('search with _include, sorted, paged forward and back', async () => {
  for (let i = 1; i <= 5; i++) {
    await client.create({
      resourceType: 'Observation',
      body: {
        resourceType: 'Observation', status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
        subject: { reference: `Patient/${patient.id}` },
        effectiveDateTime: `2024-01-0${i}T09:00:00Z`,
        valueQuantity: { value: 60 + i, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
      },
    });
  }
  const searchParams = {
    subject: `Patient/${patient.id}`, code: 'http://loinc.org|8867-4',
    _sort: '-date', _count: '2', _include: 'Observation:subject',
  };
  let bundle = await client.search({ resourceType: 'Observation', searchParams });
  const dates = [];
  const pages = [];
  while (bundle) {
    const matches = (bundle.entry ?? []).filter((e) => e.search?.mode === 'match');
    const included = (bundle.entry ?? []).filter((e) => e.search?.mode === 'include');
    assert.ok(matches.length <= 2, 'at most _count matches a page');
    assert.equal(included.length, 1, 'the subject is included on every page');
    assert.equal(included[0].resource.id, patient.id);
    for (const e of matches) dates.push(e.resource.effectiveDateTime);
    pages.push(bundle);
    bundle = await client.nextPage({ bundle });
  }
  assert.deepEqual(dates, [5, 4, 3, 2, 1].map((d) => `2024-01-0${d}T09:00:00Z`), 'newest first, each once');
  const back = await client.prevPage({ bundle: pages[pages.length - 1] });
  assert.deepEqual(back.entry.filter((e) => e.search?.mode === 'match').map((e) => e.resource.effectiveDateTime),
    ['2024-01-03T09:00:00Z', '2024-01-02T09:00:00Z'], 'the previous link leads back a page');
});

await step('delete, then read is gone', async () => {
  await client.delete({ resourceType: 'Patient', id: patient.id });
  await assert.rejects(client.read({ resourceType: 'Patient', id: patient.id }), (err) => {
    assert.equal(err.response?.status, 410);
    return true;
  });
});

await step('history survives the delete', async () => {
  const bundle = await client.history({ resourceType: 'Patient', id: patient.id });
  assert.equal(bundle.entry.length, 4);
  assert.equal(bundle.entry[0].request.method, 'DELETE');
});

console.log('all steps passed');
