param([string]$ComputerName = "app01")

$user = "TOHO\svc-deploy"
$pass = ConvertTo-SecureString 'jVxWb7%ZzaLI' -AsPlainText -Force
$cred = New-Object System.Management.Automation.PSCredential($user, $pass)

$fromEnv = ConvertTo-SecureString $env:DEPLOY_PASSWORD -AsPlainText -Force
Invoke-Command -ComputerName $ComputerName -Credential $cred -ScriptBlock { hostname }
