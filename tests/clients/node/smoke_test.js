#!/usr/bin/env node
// Smoke test of the Tenantry gRPC API from Node.js: loads the protos at
// run time with @grpc/proto-loader, creates a user and a student profile
// in the sample tenant dev_tenant, and reads the profile back.
//
// Usage: node smoke_test.js ADDRESS PROTO_DIR GOOGLEAPIS_DIR
//
// ADDRESS is the host:port of a tenantry_server whose shared store
// contains the sample data of `tenantctl init-dev-data`. PROTO_DIR is the
// repository's proto/ directory, and GOOGLEAPIS_DIR contains
// google/api/annotations.proto. Exits with code 1 and a message naming the
// failed check on any failure.
'use strict';

const crypto = require('node:crypto');
const util = require('node:util');

const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const TENANT_ID = 'dev_tenant';

// Deadline of every call, so that a hung server fails the test instead of
// blocking it until Bazel's timeout.
const RPC_TIMEOUT_MS = 10000;

function loadApi(protoDir, googleapisDir) {
  const definition = protoLoader.loadSync(
    ['tenantry/v1/user.proto', 'tenantry/v1/profile.proto'],
    {
      includeDirs: [protoDir, googleapisDir],
      // Field names as in the .proto files, such as `student_info`.
      keepCase: true,
      enums: String,
      longs: String,
      defaults: true,
      oneofs: true,
    });
  return grpc.loadPackageDefinition(definition).tenantry.v1;
}

// Calls `method` of `client` and returns a promise of the response. The
// promise rejects with an error that names the method and keeps the gRPC
// `code` (a grpc.status value) and `details`.
function call(client, method, request, metadata = new grpc.Metadata()) {
  const deadline = new Date(Date.now() + RPC_TIMEOUT_MS);
  return new Promise((resolve, reject) => {
    client[method](request, metadata, {deadline}, (error, response) => {
      if (error) {
        const failure = new Error(
          `${method} failed with ${grpc.status[error.code]}: ${error.details}`);
        failure.code = error.code;
        failure.details = error.details;
        reject(failure);
      } else {
        resolve(response);
      }
    });
  });
}

function waitForReady(client, address) {
  const deadline = new Date(Date.now() + RPC_TIMEOUT_MS);
  return new Promise((resolve, reject) => {
    client.waitForReady(deadline, (error) => {
      if (error) {
        reject(new Error(`no gRPC server answered at ${address} within ` +
                         `${RPC_TIMEOUT_MS} ms: ${error.message}`));
      } else {
        resolve();
      }
    });
  });
}

// Throws an error naming `label`, the actual and the expected value unless
// the two are deeply equal.
function expectEqual(label, actual, expected) {
  if (!util.isDeepStrictEqual(actual, expected)) {
    throw new Error(`${label} is ${util.inspect(actual)}, ` +
                    `expected ${util.inspect(expected)}`);
  }
}

function expectMatch(label, actual, pattern) {
  if (typeof actual !== 'string' || !pattern.test(actual)) {
    throw new Error(`${label} is ${util.inspect(actual)}, ` +
                    `expected a match of ${pattern}`);
  }
}

// Runs `action` and throws unless it rejects with gRPC status `code`.
async function expectStatus(label, code, action) {
  try {
    await action();
  } catch (error) {
    if (error.code !== code) {
      throw new Error(`${label} failed with ${grpc.status[error.code]} ` +
                      `(${error.details}), expected ${grpc.status[code]}`);
    }
    return;
  }
  throw new Error(`${label} succeeded, expected ${grpc.status[code]}`);
}

async function run(address, protoDir, googleapisDir) {
  const api = loadApi(protoDir, googleapisDir);
  const credentials = grpc.credentials.createInsecure();
  const users = new api.UserService(address, credentials);
  const profiles = new api.ProfileService(address, credentials);
  try {
    await waitForReady(users, address);
    const tenant = new grpc.Metadata();
    tenant.set('x-tenant-id', TENANT_ID);

    const email = `node-${crypto.randomUUID()}@example.com`;
    const user = await call(users, 'CreateUser', {
      user: {email: email, display_name: 'Node Student'},
    });
    expectMatch('CreateUser: user.name', user.name, /^users\/[0-9a-z]{26}$/);
    expectEqual('CreateUser: user.email', user.email, email);

    const studentInfo = {
      school: 'Tenantry High School',
      class_name: '10A',
      major: 'Computer Science',
      academic_year: '2025-2026',
    };
    const created = await call(profiles, 'CreateProfile', {
      parent: `tenants/${TENANT_ID}`,
      profile: {
        user: user.name,
        full_name: 'Node Student',
        role: 'STUDENT',
        student_info: studentInfo,
      },
    }, tenant);
    expectMatch('CreateProfile: profile.name', created.name,
                new RegExp(`^tenants/${TENANT_ID}/profiles/[0-9a-z]{26}$`));

    const read = await call(profiles, 'GetProfile', {name: created.name},
                            tenant);
    expectEqual('GetProfile: name', read.name, created.name);
    expectEqual('GetProfile: user', read.user, user.name);
    expectEqual('GetProfile: full_name', read.full_name, 'Node Student');
    expectEqual('GetProfile: role', read.role, 'STUDENT');
    expectEqual('GetProfile: student_info', read.student_info, studentInfo);
    expectEqual('GetProfile: teacher_info', read.teacher_info, null);
    expectEqual('GetProfile: verification_status', read.verification_status,
                'UNVERIFIED');
    expectEqual('GetProfile: privacy_settings.visibility',
                read.privacy_settings && read.privacy_settings.visibility,
                'PUBLIC');
    expectMatch('GetProfile: etag', read.etag, /./);
    expectEqual('GetProfile: etag', read.etag, created.etag);

    const found = await call(profiles, 'LookupProfileByUser', {
      parent: `tenants/${TENANT_ID}`,
      user: user.name,
    }, tenant);
    expectEqual('LookupProfileByUser: user.email',
                found.user && found.user.email, email);
    expectEqual('LookupProfileByUser: profile.name',
                found.profile && found.profile.name, created.name);

    await expectStatus(
      'GetProfile without x-tenant-id', grpc.status.INVALID_ARGUMENT,
      () => call(profiles, 'GetProfile', {name: created.name}));

    console.log(`created and read back ${read.name} for ${user.name}`);
  } finally {
    users.close();
    profiles.close();
  }
}

async function main() {
  const args = process.argv.slice(2);
  if (args.length !== 3) {
    console.error('usage: node smoke_test.js ADDRESS PROTO_DIR GOOGLEAPIS_DIR');
    process.exit(2);
  }
  try {
    await run(...args);
  } catch (error) {
    console.error(`FAIL: ${error.message}`);
    process.exit(1);
  }
  console.log('PASS: node smoke test');
}

main();
