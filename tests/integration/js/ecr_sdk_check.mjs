// Drives an ECR endpoint with the AWS SDK for JavaScript v3 and prints one JSON
// object with what it saw; test_ecr_js_sdk.py asserts on it.
//   node ecr_sdk_check.mjs INPUT.json
// INPUT: {endpoint, region, accessKeyId, secretAccessKey, repository, tag,
//         manifest, blobs: [{digest, base64}], uploadLayers: bool}
import { readFileSync } from "node:fs";
import {
  ECRClient, CreateRepositoryCommand, InitiateLayerUploadCommand, UploadLayerPartCommand,
  CompleteLayerUploadCommand, PutImageCommand, BatchGetImageCommand, DescribeImagesCommand,
  DescribeRepositoriesCommand, BatchCheckLayerAvailabilityCommand,
} from "@aws-sdk/client-ecr";

const input = JSON.parse(readFileSync(process.argv[2], "utf8"));
const client = new ECRClient({
  endpoint: input.endpoint,
  region: input.region,
  credentials: { accessKeyId: input.accessKeyId, secretAccessKey: input.secretAccessKey },
  maxAttempts: 1,
});

async function errorOf(promise) {
  try {
    await promise;
    return null;
  } catch (e) {
    return { name: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
  }
}

const out = {};
const repositoryName = input.repository;
out.created = (await client.send(new CreateRepositoryCommand({ repositoryName }))).repository;
out.duplicate = await errorOf(client.send(new CreateRepositoryCommand({ repositoryName })));
out.missingRepository = await errorOf(
  client.send(new DescribeRepositoriesCommand({ repositoryNames: [repositoryName + "-missing"] })));

if (input.uploadLayers) {
  out.uploaded = [];
  for (const blob of input.blobs) {
    const data = Buffer.from(blob.base64, "base64");
    const { uploadId } = await client.send(new InitiateLayerUploadCommand({ repositoryName }));
    const part = await client.send(new UploadLayerPartCommand({
      repositoryName, uploadId, partFirstByte: 0, partLastByte: data.length - 1, layerPartBlob: data,
    }));
    const done = await client.send(new CompleteLayerUploadCommand({
      repositoryName, uploadId, layerDigests: [blob.digest],
    }));
    out.uploaded.push({ lastByteReceived: part.lastByteReceived, layerDigest: done.layerDigest });
  }
  out.layers = (await client.send(new BatchCheckLayerAvailabilityCommand({
    repositoryName, layerDigests: input.blobs.map((b) => b.digest),
  }))).layers;
}

const put = { repositoryName, imageTag: input.tag, imageManifest: input.manifest };
if (input.imageDigest) put.imageDigest = input.imageDigest;
out.put = (await client.send(new PutImageCommand(put))).image;
out.putAgain = await errorOf(client.send(new PutImageCommand(put)));
const got = await client.send(new BatchGetImageCommand({
  repositoryName, imageIds: [{ imageTag: input.tag }, { imageTag: "missing" }],
}));
out.images = got.images;
out.failures = got.failures;
const described = await client.send(new DescribeImagesCommand({ repositoryName }));
out.imageDetails = described.imageDetails.map((d) => ({
  ...d, imagePushedAt: d.imagePushedAt instanceof Date ? d.imagePushedAt.toISOString() : null,
}));
out.notFound = await errorOf(client.send(new DescribeImagesCommand({
  repositoryName, imageIds: [{ imageTag: "missing" }],
})));
console.log(JSON.stringify(out));
