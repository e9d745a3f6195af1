// The Flex Consumption (FC1) Function App: user-assigned identity only, identity-based host storage and
// deployment container, Entra-authenticated Application Insights, platform CORS, and App Service
// Authentication when asked for.
param name string
param location string
param tags object = {}
param planId string
param pythonVersion string
param instanceMemoryMB int
param maximumInstanceCount int
param identityId string
param identityClientId string
param hostStorageName string
param deploymentContainerName string
param appInsightsName string

@description('The app settings of the application (main.bicep); the platform settings below are added to them.')
param appSettings object

param corsAllowedOrigins array = []
param appServiceAuthentication bool = false
param authTenantId string = ''
param authClientId string = ''
param authAudiences array = []
param authAuthorityHost string = 'https://login.microsoftonline.com'

// Paths App Service Authentication lets through without a token.
var anonymousPaths = [
  '/health'
  '/openapi.json'
]

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

var hostBlobEndpoint = 'https://${hostStorageName}.blob.${environment().suffixes.storage}/'

// Platform and SDK settings: identity-based AzureWebJobsStorage, the identity DefaultAzureCredential picks,
// and Entra (not key) ingestion into Application Insights.
var appSettingsPlatform = {
  AzureWebJobsStorage__accountName: hostStorageName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AZURE_CLIENT_ID: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, {
    'azd-service-name': 'api'
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: planId
    httpsOnly: true
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${hostBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'python'
        version: pythonVersion
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      cors: {
        allowedOrigins: corsAllowedOrigins
        supportCredentials: false
      }
    }
  }
}

resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: union(appSettings, appSettingsPlatform)
}

// No publishing with basic (user name + password) credentials: azd deploys through Entra.
resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

resource authentication 'Microsoft.Web/sites/config@2024-04-01' = if (appServiceAuthentication) {
  parent: site
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'Return401'
      excludedPaths: anonymousPaths
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: authClientId
          openIdIssuer: '${authAuthorityHost}/${authTenantId}/v2.0'
        }
        validation: {
          allowedAudiences: authAudiences
        }
      }
    }
    login: {
      tokenStore: {
        enabled: false
      }
    }
    httpSettings: {
      requireHttps: true
    }
  }
}

output name string = site.name
output uri string = 'https://${site.properties.defaultHostName}'
