@area.interop
Feature: Every kind of institution the SUT will meet (扫码互认)
  The simulated network has peers modelled on the institutions an implementation meets in
  production (mocks/network.json): wallets whose payment codes follow WeChat's, Alipay's and
  UnionPay's rules, and acquirers whose merchant codes name them by an EMV template GUID, by
  UnionPay ID 15, or as a URL. Interconnection means the SUT takes them all.

  @tc.IOP-01-<persona> @req.R-FLOW-01 @role.acquirer
  Scenario Outline: The SUT's terminal takes a payment code from <persona>, <like>
    Given a payer account at the <persona> holding 100.00 CNY
    And the <persona>'s wallet shows a payment code for that account
    When the SUT's terminal scans the payment code for 30.00 CNY
    Then the SUT reports the purchase as approved
    And both institutions recorded the same amount, currency, voucher number and settlement date
    And the payer account at the <persona> holds 70.00 CNY

    Examples: wallets
      | persona  | like                                                   |
      | wallet-w | a WeChat-like wallet: 18 digits starting 10 to 15      |
      | wallet-a | an Alipay-like wallet: 16 to 24 digits starting 25 to 30 |
      | bank-u   | a bank app on UnionPay: 19 digits starting 62          |

  @tc.IOP-02-<persona> @req.R-FLOW-01 @role.issuer
  Scenario Outline: The SUT's wallet pays a merchant code of <persona>, <style>
    Given a payer account at the SUT holding 100.00 CNY
    And a static merchant code of the <persona>'s acquirer for merchant "Corner Store"
    When the payer scans the merchant code in the SUT's wallet and pays 12.00 CNY
    Then the SUT reports the payment as approved
    And the <persona>'s acquirer recorded a credit of 12.00 CNY to the merchant
    And both institutions recorded the same amount, currency, voucher number and settlement date
    And the payer account at the SUT holds 88.00 CNY

    Examples: acquirers
      | persona    | style                                      |
      | peer       | an EMV merchant account template and GUID  |
      | bank-u     | an EMV code with UnionPay ID 15            |
      | acquirer-q | a URL                                      |
