// Everything `azd up` creates for the content analysis Functions app. Deployed at subscription scope so
// that it can create the resource group; every resource lives in that group, except the role assignment
// on an existing Content Understanding resource, which is deployed where that resource lives.
targetScope = 'subscription'

// ---------------------------------------------------------------------------------------------------
// Environment
// ---------------------------------------------------------------------------------------------------

@minLength(1)
@maxLength(64)
@description('azd environment name; feeds the resource group name and the unique resource token.')
param environmentName string

@minLength(1)
@description('Region of every resource (Flex Consumption, the Durable Task Scheduler and Content Understanding must all be offered there).')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Resource group to create or reuse; empty means rg-<environmentName>.')
param resourceGroupName string = ''

@description('Object id of whoever runs azd (azd fills AZURE_PRINCIPAL_ID); gets Cognitive Services User on a Content Understanding resource this template creates, so the post-provision hook can set its default model deployments. Empty skips it.')
param deployerPrincipalId string = ''

@allowed([
  'User'
  'ServicePrincipal'
])
@description('User for a person, ServicePrincipal for the deploy pipeline.')
param deployerPrincipalType string = 'User'

// ---------------------------------------------------------------------------------------------------
// Function app
// ---------------------------------------------------------------------------------------------------

@allowed([
  '3.10'
  '3.11'
  '3.12'
  '3.13'
])
@description('Python version of the Flex Consumption app. 3.12 by default: see docs/deploy.md before choosing 3.13.')
param pythonVersion string = '3.12'

@allowed([
  512
  2048
  4096
])
@description('Flex Consumption instance memory (MB).')
param instanceMemoryMB int = 2048

@minValue(40)
@maxValue(1000)
@description('Most Flex Consumption instances the app scales out to: 40 to 1000 (Flex Consumption refuses fewer than 40).')
param maximumInstanceCount int = 40

// ---------------------------------------------------------------------------------------------------
// Durable backend
// ---------------------------------------------------------------------------------------------------

@allowed([
  'dts'
  'storage'
])
@description('dts: Durable Task Scheduler (Consumption SKU). storage: the Azure Storage provider in the host storage account. Only app settings differ; host.json is the same.')
param durableBackend string = 'dts'

@minLength(1)
@description('Addresses allowed to reach the scheduler (IPv4/IPv6/CIDR). Must not be empty: an empty list denies all traffic.')
param dtsIpAllowlist array = [
  '0.0.0.0/0'
]

@minLength(3)
@maxLength(45)
@description('Task hub name (DURABLE_TASK_HUB_NAME, read by host.json): letters and digits, starting with a letter. With dts it is also the name of the scheduler task hub.')
param taskHubName string = 'contentanalysis'

// ---------------------------------------------------------------------------------------------------
// Content Understanding
// ---------------------------------------------------------------------------------------------------

@description('Resource id of an existing AI Services / Foundry resource to use for Content Understanding. Empty creates a new one (kind AIServices) with the model deployments below.')
param existingContentUnderstandingResourceId string = ''

@description('Region of a new Content Understanding resource (it must be a region where Content Understanding is offered). Empty means location.')
param contentUnderstandingLocation string = ''

@description('Model deployments created on a new Content Understanding resource; the post-provision hook maps model -> deployment name as the resource defaults.')
param modelDeployments array = [
  {
    name: 'gpt-4.1'
    model: 'gpt-4.1'
    version: '2025-04-14'
    sku: 'GlobalStandard'
    capacity: 50
  }
  {
    name: 'gpt-4.1-mini'
    model: 'gpt-4.1-mini'
    version: '2025-04-14'
    sku: 'GlobalStandard'
    capacity: 50
  }
  {
    name: 'text-embedding-3-large'
    model: 'text-embedding-3-large'
    version: '1'
    sku: 'GlobalStandard'
    capacity: 50
  }
]

@description('Content Understanding REST api-version the app calls.')
param contentUnderstandingApiVersion string = '2025-11-01'

// ---------------------------------------------------------------------------------------------------
// Input files, callers, limits
// ---------------------------------------------------------------------------------------------------

@minLength(3)
@maxLength(28)
@description('Container in the input storage account that holds the files referenced by file id. At most 28 characters: each caller scope gets `<name>-u-<32 characters>` / `<name>-g-...`, and Azure container names stop at 63.')
param inputContainerName string = 'pro-input-files'

@allowed([
  'per-scope'
  'legacy-group-prefix'
])
@description('How file ids map to blobs in the input container.')
param inputContainerLayout string = 'per-scope'

@description('Comma-separated host names the app accepts input URLs from; empty keeps the app default.')
param allowedInputHosts string = ''

@allowed([
  'entra'
  'appservice'
])
@description('entra: the app validates Entra bearer tokens itself. appservice: App Service Authentication validates them first (unauthenticated requests get 401; /health and /openapi.json stay anonymous).')
param authMode string = 'entra'

@description('Tenant of the app registration callers get tokens for.')
param authTenantId string = tenant().tenantId

@minLength(1)
@description('Required. Application (client) id of the app registration that represents this API: appservice validates tokens for it, entra accepts api://<authClientId> by default. Set it with `azd env set AUTH_CLIENT_ID <application (client) id>` (docs/deploy.md, "App registration").')
param authClientId string

@description('Audiences accepted in tokens, e.g. api://<client id>. Empty means api://<authClientId> when authClientId is set.')
param authAudiences array = []

@description('Entra authority host (sovereign clouds differ).')
param authAuthorityHost string = 'https://login.microsoftonline.com'

@description('Comma-separated delegated scopes (scp) a token must carry one of, e.g. Analysis.Run (docs/security.md); empty: any delegated scope or app role.')
param authRequiredScopes string = ''

@description('Comma-separated app roles a token must carry one of (app-only callers); empty: any delegated scope or app role.')
param authRequiredRoles string = ''

@minValue(1)
@maxValue(100000)
@description('Analyses one caller may start per minute on one instance (429 beyond).')
param callerStartsPerMinute int = 30

@minValue(1)
@maxValue(1000000)
@description('Result reads and cancels one caller may make per minute on one instance (429 beyond).')
param callerReadsPerMinute int = 600

@minValue(65536)
@maxValue(536870912)
@description('Largest result the app answers (a larger one is a 500 ResultTooLarge).')
param maxResultBytes int = 33554432

@description('Browser origins allowed to call the API (platform CORS and CORS_ALLOWED_ORIGINS). Empty allows none.')
param corsAllowedOrigins array = []

@description('Answer GET results for ids of the old backend during the migration window.')
param legacyResultsLookup bool = false

@description('ISO 8601 time this app took over from the old backend (e.g. 2026-12-01T00:00:00Z); required with legacyResultsLookup: only operations created before it are looked up there.')
param legacyResultsCutover string = ''

@minValue(1)
@maxValue(600)
@description('Rate limit of legacy lookups per caller per minute.')
param legacyLookupPerMinute int = 10

@minValue(1)
@maxValue(20)
@description('Files of one request analysed at the same time.')
param fileAnalysisParallelism int = 4

@minValue(1)
@description('Target median lag (seconds) of the learned polling schedule: lower means faster answers and more status calls (docs/performance.md).')
param pollTargetLagSeconds int = 3

@description('Deadline of an analysis, counted from its POST: 240 leaves the frontend (60 polls, 5 s apart) room for a late timer and a late poll (README).')
param analysisTimeoutSeconds int = 240

@allowed([
  ''
  'geography'
  'dataZone'
  'global'
])
@description('Where Content Understanding may process the data (processingLocation); empty = the service default (global).')
param contentUnderstandingProcessingLocation string = ''
param pollInitialIntervalSeconds int = 10
param pollMaxIntervalSeconds int = 10
param resultTtlSeconds int = 3600
param purgeSchedule string = '0 */5 * * * *'
param inputSasTtlSeconds int = 900
param maxInputFiles int = 10

@description('Largest analyze body; FUNCTIONS_REQUEST_BODY_SIZE_LIMIT is twice it, so the app answers its JSON 413 and the host still refuses far bigger bodies before the worker sees them.')
param maxRequestBytes int = 1048576

// ---------------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------------

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var functionAppName = 'func-${resourceToken}'
var hostStorageName = 'st${resourceToken}'
var inputStorageName = 'stin${resourceToken}'
var deploymentContainerName = 'app-package-${resourceToken}'
// The learned analysis durations (docs/performance.md), in the host storage the identity already owns.
var durationModelContainerName = 'duration-models'
// Claim-check copies of finished results (result_copies/): each file's result is read from the service once.
var resultCopiesContainerName = 'result-copies'
var createContentUnderstanding = empty(existingContentUnderstandingResourceId)
var cuLocation = empty(contentUnderstandingLocation) ? location : contentUnderstandingLocation
var cuIdParts = split(existingContentUnderstandingResourceId, '/')
var effectiveAudiences = !empty(authAudiences) ? authAudiences : [
  'api://${authClientId}'
]
var inputContainerUrl = 'https://${inputStorageName}.blob.${environment().suffixes.storage}/${inputContainerName}'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : 'rg-${environmentName}'
  location: location
  tags: tags
}

// ---------------------------------------------------------------------------------------------------
// Identity, storage, monitoring (Azure Verified Modules)
// ---------------------------------------------------------------------------------------------------

module appIdentity 'br/public:avm/res/managed-identity/user-assigned-identity:0.4.1' = {
  name: 'appIdentity'
  scope: rg
  params: {
    name: 'id-${resourceToken}'
    location: location
    tags: tags
  }
}

module plan 'br/public:avm/res/web/serverfarm:0.1.1' = {
  name: 'plan'
  scope: rg
  params: {
    name: 'plan-${resourceToken}'
    sku: {
      name: 'FC1'
      tier: 'FlexConsumption'
    }
    reserved: true
    location: location
    tags: tags
  }
}

// Host storage: AzureWebJobsStorage, the Flex deployment container and (durableBackend storage) the task hub.
module hostStorage 'br/public:avm/res/storage/storage-account:0.8.3' = {
  name: 'hostStorage'
  scope: rg
  params: {
    name: hostStorageName
    location: location
    tags: tags
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    dnsEndpointType: 'Standard'
    minimumTlsVersion: 'TLS1_2'
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
    blobServices: {
      containers: [
        {
          name: deploymentContainerName
        }
        {
          name: durationModelContainerName
        }
        {
          name: resultCopiesContainerName
        }
      ]
    }
  }
}

// Input storage: the files callers reference by id; the app hands Content Understanding user delegation SAS URLs.
module inputStorage 'br/public:avm/res/storage/storage-account:0.8.3' = {
  name: 'inputStorage'
  scope: rg
  params: {
    name: inputStorageName
    location: location
    tags: tags
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    dnsEndpointType: 'Standard'
    minimumTlsVersion: 'TLS1_2'
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
    blobServices: {
      containers: [
        {
          name: inputContainerName
        }
      ]
    }
  }
}

module logAnalytics 'br/public:avm/res/operational-insights/workspace:0.11.1' = {
  name: 'logAnalytics'
  scope: rg
  params: {
    name: 'log-${resourceToken}'
    location: location
    tags: tags
    dataRetention: 30
  }
}

module appInsights 'br/public:avm/res/insights/component:0.6.0' = {
  name: 'appInsights'
  scope: rg
  params: {
    name: 'appi-${resourceToken}'
    location: location
    tags: tags
    workspaceResourceId: logAnalytics.outputs.resourceId
    disableLocalAuth: true
  }
}

// ---------------------------------------------------------------------------------------------------
// Durable Task Scheduler (durableBackend dts)
// ---------------------------------------------------------------------------------------------------

module scheduler 'modules/durable-task-scheduler.bicep' = if (durableBackend == 'dts') {
  name: 'durableTaskScheduler'
  scope: rg
  params: {
    name: 'dts-${resourceToken}'
    location: location
    tags: tags
    ipAllowlist: dtsIpAllowlist
    taskHubName: taskHubName
    principalId: appIdentity.outputs.principalId
  }
}

// ---------------------------------------------------------------------------------------------------
// Content Understanding: a new AI Services resource, or an existing one
// ---------------------------------------------------------------------------------------------------

module newContentUnderstanding 'modules/content-understanding.bicep' = if (createContentUnderstanding) {
  name: 'contentUnderstanding'
  scope: rg
  params: {
    name: 'ais-${resourceToken}'
    location: cuLocation
    tags: tags
    modelDeployments: modelDeployments
    principalId: appIdentity.outputs.principalId
    deployerPrincipalId: deployerPrincipalId
    deployerPrincipalType: deployerPrincipalType
  }
}

module existingContentUnderstanding 'modules/content-understanding-access.bicep' = if (!createContentUnderstanding) {
  name: 'contentUnderstandingAccess'
  scope: resourceGroup(createContentUnderstanding ? subscription().subscriptionId : cuIdParts[2], createContentUnderstanding ? rg.name : cuIdParts[4])
  params: {
    accountName: createContentUnderstanding ? 'unused' : last(cuIdParts)
    principalId: appIdentity.outputs.principalId
  }
}

var contentUnderstandingEndpoint = createContentUnderstanding ? newContentUnderstanding.outputs.endpoint : existingContentUnderstanding.outputs.endpoint

// ---------------------------------------------------------------------------------------------------
// Roles of the app identity on storage and monitoring
// ---------------------------------------------------------------------------------------------------

module roles 'modules/role-assignments.bicep' = {
  name: 'roleAssignments'
  scope: rg
  params: {
    principalId: appIdentity.outputs.principalId
    hostStorageName: hostStorage.outputs.name
    inputStorageName: inputStorage.outputs.name
    appInsightsName: appInsights.outputs.name
  }
}

// ---------------------------------------------------------------------------------------------------
// App settings the app reads (config/settings.py), plus the durable provider switch.
// tests/infra checks these names against config.settings.known_setting_names().
// No keys: CONTENT_UNDERSTANDING_KEY and INPUT_STORAGE_CONNECTION_STRING stay unset, so the app uses its
// managed identity (AZURE_CLIENT_ID) for Content Understanding and user delegation SAS for input files.
// ---------------------------------------------------------------------------------------------------

var appSettingsApplication = {
  CONTENT_UNDERSTANDING_ENDPOINT: contentUnderstandingEndpoint
  CONTENT_UNDERSTANDING_API_VERSION: contentUnderstandingApiVersion
  ANALYSIS_TIMEOUT_SECONDS: string(analysisTimeoutSeconds)
  CONTENT_UNDERSTANDING_PROCESSING_LOCATION: contentUnderstandingProcessingLocation
  POLL_INITIAL_INTERVAL_SECONDS: string(pollInitialIntervalSeconds)
  POLL_MAX_INTERVAL_SECONDS: string(pollMaxIntervalSeconds)
  POLL_TARGET_LAG_SECONDS: string(pollTargetLagSeconds)
  DURATION_MODEL_STORE: 'https://${hostStorageName}.blob.${environment().suffixes.storage}/${durationModelContainerName}'
  RESULT_STORE: 'https://${hostStorageName}.blob.${environment().suffixes.storage}/${resultCopiesContainerName}'
  RESULT_TTL_SECONDS: string(resultTtlSeconds)
  PURGE_SCHEDULE: purgeSchedule
  INPUT_CONTAINER_URL: inputContainerUrl
  INPUT_CONTAINER_LAYOUT: inputContainerLayout
  INPUT_SAS_TTL_SECONDS: string(inputSasTtlSeconds)
  ALLOWED_INPUT_HOSTS: allowedInputHosts
  MAX_INPUT_FILES: string(maxInputFiles)
  MAX_REQUEST_BYTES: string(maxRequestBytes)
  FILE_ANALYSIS_PARALLELISM: string(fileAnalysisParallelism)
  AUTH_MODE: authMode
  AUTH_TENANT_ID: authTenantId
  AUTH_AUDIENCES: join(effectiveAudiences, ',')
  AUTH_AUTHORITY_HOST: authAuthorityHost
  AUTH_REQUIRED_SCOPES: authRequiredScopes
  AUTH_REQUIRED_ROLES: authRequiredRoles
  CALLER_STARTS_PER_MINUTE: string(callerStartsPerMinute)
  CALLER_READS_PER_MINUTE: string(callerReadsPerMinute)
  MAX_RESULT_BYTES: string(maxResultBytes)
  // A JSON array: the form the Functions host itself parses from this name on Linux plans; the app reads both forms.
  CORS_ALLOWED_ORIGINS: string(corsAllowedOrigins)
  LEGACY_RESULTS_LOOKUP: legacyResultsLookup ? 'true' : 'false'
  LEGACY_LOOKUP_PER_MINUTE: string(legacyLookupPerMinute)
  LEGACY_RESULTS_CUTOVER: legacyResultsCutover
  DURABLE_TASK_HUB_NAME: taskHubName
  // Above the app's limit, so an oversized body reaches the app's JSON 413 (the host's own 413 has no body).
  FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: string(maxRequestBytes * 2)
  AZURE_FUNCTIONS_ENVIRONMENT: 'Production'
}

// durableBackend dts: only these settings switch the provider; host.json keeps the default (Azure Storage).
var appSettingsDurableTaskScheduler = {
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__type: 'azureManaged'
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING'
  DURABLE_TASK_SCHEDULER_CONNECTION_STRING: durableBackend == 'dts' ? 'Endpoint=${scheduler.outputs.endpoint};Authentication=ManagedIdentity;ClientID=${appIdentity.outputs.clientId}' : ''
}

var appSettingsAll = durableBackend == 'dts' ? union(appSettingsApplication, appSettingsDurableTaskScheduler) : appSettingsApplication

module functionApp 'modules/function-app.bicep' = {
  name: 'functionApp'
  scope: rg
  params: {
    name: functionAppName
    location: location
    tags: tags
    planId: plan.outputs.resourceId
    pythonVersion: pythonVersion
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    identityId: appIdentity.outputs.resourceId
    identityClientId: appIdentity.outputs.clientId
    hostStorageName: hostStorage.outputs.name
    deploymentContainerName: deploymentContainerName
    appInsightsName: appInsights.outputs.name
    appSettings: appSettingsAll
    corsAllowedOrigins: corsAllowedOrigins
    appServiceAuthentication: authMode == 'appservice'
    authTenantId: authTenantId
    authClientId: authClientId
    authAudiences: effectiveAudiences
    authAuthorityHost: authAuthorityHost
  }
  dependsOn: [
    roles
  ]
}

// ---------------------------------------------------------------------------------------------------
// Outputs (azd stores them in .azure/<env>/.env; the post-provision hook reads them)
// ---------------------------------------------------------------------------------------------------

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output SERVICE_API_NAME string = functionApp.outputs.name
output SERVICE_API_URI string = functionApp.outputs.uri
// Not AZURE_CLIENT_ID: azd writes outputs into the environment, where that name is the deploying
// principal's own sign-in (deploy.yml, azure-identity's EnvironmentCredential).
output APP_IDENTITY_CLIENT_ID string = appIdentity.outputs.clientId
output DURABLE_BACKEND string = durableBackend
output DURABLE_TASK_HUB_NAME string = taskHubName
output DURABLE_TASK_SCHEDULER_ENDPOINT string = durableBackend == 'dts' ? scheduler.outputs.endpoint : ''
output CONTENT_UNDERSTANDING_ENDPOINT string = contentUnderstandingEndpoint
output CONTENT_UNDERSTANDING_CREATED bool = createContentUnderstanding
output CONTENT_UNDERSTANDING_MODEL_DEPLOYMENTS string = createContentUnderstanding ? newContentUnderstanding.outputs.modelDeploymentsJson : '[]'
output INPUT_CONTAINER_URL string = inputContainerUrl
output AUTH_MODE string = authMode
