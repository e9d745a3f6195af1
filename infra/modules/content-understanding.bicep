// A new AI Services resource for Content Understanding, the model deployments its analyzers use, and
// Cognitive Services User for the app identity (and for the deployer, so the post-provision hook can set
// the resource's default model deployments).
param name string
param location string
param tags object = {}

@description('Each item: name (deployment name), model, version, sku, capacity.')
param modelDeployments array

param principalId string
param deployerPrincipalId string = ''
param deployerPrincipalType string = 'User'

var cognitiveServicesUser = 'a97b65f3-24c7-4388-baec-2e87135dc908'

resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' = {
  name: name
  location: location
  tags: tags
  kind: 'AIServices'
  sku: {
    name: 'S0'
  }
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    customSubDomainName: name
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

// One deployment at a time: the resource provider rejects concurrent deployment changes on one account.
@batchSize(1)
resource deployments 'Microsoft.CognitiveServices/accounts/deployments@2024-10-01' = [for item in modelDeployments: {
  parent: account
  name: item.name
  sku: {
    name: item.sku
    capacity: item.capacity
  }
  properties: {
    model: {
      format: 'OpenAI'
      name: item.model
      version: item.version
    }
  }
}]

resource appIdentityUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, principalId, cognitiveServicesUser)
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', cognitiveServicesUser)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource deployerUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(account.id, deployerPrincipalId, cognitiveServicesUser)
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', cognitiveServicesUser)
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
  }
}

output endpoint string = 'https://${account.properties.customSubDomainName}.services.ai.azure.com'
output name string = account.name
output resourceId string = account.id
// The deployments as JSON; the post-provision hook turns them into modelDeployments (model name -> deployment name).
output modelDeploymentsJson string = string(modelDeployments)
