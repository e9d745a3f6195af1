// Roles of the app identity on the host storage (AzureWebJobsStorage, Flex deployment container, Azure
// Storage durable provider), the input storage (user delegation SAS) and Application Insights (Entra ingestion).
param principalId string
param hostStorageName string
param inputStorageName string
param appInsightsName string

var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
var storageQueueDataContributor = '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
var storageBlobDelegator = 'db58b8e5-c6ad-4a2a-8342-4190687cbf4a'
var storageBlobDataReader = '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'

var hostStorageRoles = [
  storageBlobDataOwner
  storageQueueDataContributor
  storageTableDataContributor
]

resource hostStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: hostStorageName
}

resource inputStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: inputStorageName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource hostStorageAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in hostStorageRoles: {
  name: guid(hostStorage.id, principalId, role)
  scope: hostStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]

// A user delegation SAS grants at most what the signer may do on the target container, so the identity needs
// read on every container it signs for: the base container and the per-scope `<base>-g-<group>` /
// `<base>-u-<user>` (or legacy `<base>-group-<8>`) containers, which appear at run time, one per caller
// scope. Hence both roles at the input account, which holds only input containers (docs/security.md,
// "Least privilege"; tests/infra/test_input_access.py derives the containers from input_files/).
resource inputDelegator 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(inputStorage.id, principalId, storageBlobDelegator)
  scope: inputStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDelegator)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource inputReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(inputStorage.id, principalId, storageBlobDataReader)
  scope: inputStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataReader)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource telemetryPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, principalId, monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
