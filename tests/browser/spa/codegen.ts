// GraphQL Code Generator for the test SPA, run from tests/browser: `npx graphql-codegen --config
// spa/codegen.ts`. It validates the SPA's documents against the gateway's schema (an unknown
// field or a wrong type fails the run), writes typed documents to spa/src/gql/, and writes
// spa/src/gql/persisted-documents.json: the trusted-documents manifest ({"<sha256>": "<document>"})
// that the gateway reads from OMS_TRUSTED_DOCUMENTS.
//
// SPA_SCHEMA and SPA_GQL_OUT point the run at another schema file or output folder (the tests
// use them to prove that a schema the documents do not fit fails the run).
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: process.env.SPA_SCHEMA ?? '../../schema.graphql',
  documents: ['spa/src/operations/*.graphql'],
  ignoreNoDocuments: false,
  generates: {
    [process.env.SPA_GQL_OUT ?? 'spa/src/gql/']: {
      preset: 'client',
      presetConfig: {
        fragmentMasking: false,
        persistedDocuments: { hashAlgorithm: 'sha256' },
      },
      config: {
        scalars: { Decimal: 'string', DateTime: 'string' },
        enumsAsTypes: true,
        useTypeImports: true,
      },
    },
  },
};

export default config;
